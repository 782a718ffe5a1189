import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { IDistribution } from 'aws-cdk-lib/aws-cloudfront';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ALL_SCOPES } from '@keyledger/http';
import type { KeyledgerContext } from './config';
import { repositoryRoot } from './keyledgerFunction';

/**
 * The scopes the dashboard asks the issuer for: OpenID's, and every API scope a route needs. With
 * Auth0 RBAC the token gets only those of them the user's roles grant (in `scope` and, with
 * "Add Permissions in the Access Token", `permissions`); the dashboard shows the rest disabled.
 */
export const DASHBOARD_SCOPE = ['openid', 'profile', 'email', ...ALL_SCOPES].join(' ');

/** The dashboard's `/config.json`: where the API is, and how to sign in (null without a client id). */
export interface DashboardConfig {
  api_url: string;
  oidc: { issuer: string; client_id: string; audience: string; scope: string } | null;
}

export function dashboardConfig(context: KeyledgerContext, apiUrl: string): DashboardConfig {
  return {
    api_url: apiUrl,
    oidc: context.dashboardClientId
      ? { issuer: context.jwtIssuer, client_id: context.dashboardClientId, audience: context.jwtAudience, scope: DASHBOARD_SCOPE }
      : null,
  };
}

/** Where the dashboard's Vite build lands (`npm run build`). */
export const defaultDashboardDist = () => join(repositoryRoot(), 'packages', 'dashboard', 'dist');

/** The dashboard's build directory; synthesis stops here, naming the fix, if it has no index.html. */
export function builtDashboard(dist = defaultDashboardDist()): string {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`The admin dashboard is not built: ${join(dist, 'index.html')} is missing. Run npm run build first (it builds packages/dashboard), then synthesize again.`);
  }
  return dist;
}

/**
 * index.html with a second Content-Security-Policy (a `<meta>` before its scripts) that names the
 * exact origins the dashboard may connect to: its own, the API's and the issuer's. The
 * distribution's header policy can only allow this Region's API Gateway hosts (naming the API
 * there would make a cycle between the stacks); browsers enforce both policies, so connections
 * go to these origins only.
 */
export function withExactConnectSources(html: string, sources: readonly string[]): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="connect-src 'self' ${sources.join(' ')}">`;
  if (!/<head>/i.test(html)) throw new Error('The dashboard\'s index.html has no <head>: cannot add its connect-src policy.');
  return html.replace(/<head>/i, (head) => `${head}\n    ${meta}`);
}

export interface WebContentStackProps extends StackProps {
  context: KeyledgerContext;
  bucket: IBucket;
  distribution: IDistribution;
  /** The HTTP API's URL, for config.json. */
  apiUrl: string;
  /** The built dashboard (index.html, assets/); default packages/dashboard/dist. */
  dashboardDist?: string;
  logRetention: RetentionDays;
}

/**
 * The dashboard's files in the web stack's bucket, then a CloudFront invalidation. Hashed
 * assets (assets/) are immutable and cached for a year, and stay when a new build is deployed
 * (a page still open may load an older chunk); index.html, config.json and the other top-level
 * files are `no-cache` (revalidated on each load), and the top level is pruned of stale files.
 */
export class WebContentStack extends Stack {
  constructor(scope: Construct, id: string, props: WebContentStackProps) {
    super(scope, id, props);
    const dist = builtDashboard(props.dashboardDist);
    // One log group for the deployment handler (a singleton both deployments share), not Lambda's default that never expires.
    const logGroup = new LogGroup(this, 'DeploymentLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const common = { destinationBucket: props.bucket, logGroup, memoryLimit: 512 };

    const assets = existsSync(join(dist, 'assets'))
      ? new BucketDeployment(this, 'Assets', {
          ...common,
          sources: [Source.asset(join(dist, 'assets'))],
          destinationKeyPrefix: 'assets/',
          prune: false,
          cacheControl: [CacheControl.setPublic(), CacheControl.maxAge(Duration.days(365)), CacheControl.immutable()],
        })
      : undefined;

    const site = new BucketDeployment(this, 'Site', {
      ...common,
      sources: [
        Source.asset(dist, { exclude: ['assets', 'assets/**', 'config.json', 'index.html'] }),
        Source.data('index.html', withExactConnectSources(readFileSync(join(dist, 'index.html'), 'utf8'), [props.apiUrl, new URL(props.context.jwtIssuer).origin])),
        Source.jsonData('config.json', dashboardConfig(props.context, props.apiUrl)),
      ],
      // The generated config.json replaces any in the build, index.html gains the exact connect-src;
      // pruning the top level keeps the assets deployed beside it.
      exclude: ['assets/*'],
      prune: true,
      cacheControl: [CacheControl.noCache()],
      distribution: props.distribution,
      distributionPaths: ['/*'],
    });
    // index.html names the new assets: they are in the bucket before it is.
    if (assets) site.node.addDependency(assets);

    NagSuppressions.addResourceSuppressions(
      site.handlerRole,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason: 'The CDK BucketDeployment handler uses the AWS managed basic execution policy: it writes its own logs only.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "The CDK BucketDeployment handler syncs whole prefixes: it reads every object of its assets in the CDK assets bucket and reads, writes and prunes the dashboard bucket's objects.",
          appliesTo: [
            'Action::s3:GetObject*',
            'Action::s3:GetBucket*',
            'Action::s3:List*',
            'Action::s3:DeleteObject*',
            'Action::s3:Abort*',
            // The bootstrap assets bucket, cdk-<qualifier>-assets-<account>-<region> (both tokens or both literal).
            { regex: '/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-[^/*]+\\/\\*$/' },
            { regex: '/^Resource::(<Site[0-9A-F]{8}\\.Arn>|keyledger-[a-z0-9-]+-web:ExportsOutputFnGetAttSite[0-9A-F]{8}Arn[0-9A-F]{8})\\/\\*$/' },
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'The CDK BucketDeployment grants cloudfront:CreateInvalidation and GetInvalidation on *, to invalidate the dashboard distribution after each deployment; no other CloudFront action.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    // The handler (one function both deployments share) is the role's scope.
    const handler = site.handlerRole.node.scope;
    if (handler) {
      NagSuppressions.addResourceSuppressions(handler, [
        { id: 'AwsSolutions-L1', reason: 'The CDK BucketDeployment handler\'s Python runtime is chosen by aws-cdk-lib together with its AWS CLI layer.' },
      ]);
    }
  }
}
