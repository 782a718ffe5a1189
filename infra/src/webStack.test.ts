import { ALL_SCOPES } from '@keyledger/http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { parseContext } from './config';
import { createKeyledgerStacks } from './keyledgerApp';
import { fakeDashboardDist } from './testing/fakeDashboard';
import { dashboardContentSecurityPolicy } from './webStack';

const ENV = { account: '111122223333', region: 'eu-west-1' };
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self' https://*.execute-api.eu-west-1.amazonaws.com https://issuer.example.com; " +
  "form-action 'self' https://issuer.example.com; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

function synth(extra: Record<string, string> = {}, dashboardDist = fakeDashboardDist()) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
  const context = parseContext((key) => ({ stage: 'test', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'keyledger', rootKeyMode: 'kms', ...extra })[key]);
  const stacks = createKeyledgerStacks(app, context, ENV, { dashboardDist });
  return { app, stacks, web: Template.fromStack(stacks.web), api: Template.fromStack(stacks.api), content: Template.fromStack(stacks.webContent) };
}

const resources = (template: Template, type: string) => Object.entries(template.findResources(type)).map(([id, resource]) => ({ id, ...resource }) as { id: string; Properties: Record<string, unknown>; DependsOn?: string[] });
const exportOf = (template: Template, match: RegExp) => {
  const outputs = template.toJSON()['Outputs'] as Record<string, { Export?: { Name: string } }>;
  return Object.entries(outputs).find(([id]) => match.test(id))![1].Export!.Name;
};

/** A deployment's custom resource by construct id, and the asset directories its sources were staged from. */
function deployment(app: App, content: Template, id: 'Assets' | 'Site') {
  const resource = resources(content, 'Custom::CDKBucketDeployment').find((candidate) => candidate.id.startsWith(`${id}CustomResource`))!;
  const keys = resource.Properties['SourceObjectKeys'] as string[];
  return { resource, dirs: keys.map((key) => join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`)) };
}

const withClient = synth({ dashboardClientId: 'DashboardSpaClient123' });

describe('the web stack (admin dashboard hosting)', () => {
  it('has no cdk-nag finding left unacknowledged in an environment with a literal account and region', () => {
    for (const stack of [withClient.stacks.web, withClient.stacks.api, withClient.stacks.webContent]) {
      const findings = [...Annotations.fromStack(stack).findError('*', Match.anyValue()), ...Annotations.fromStack(stack).findWarning('*', Match.anyValue())];
      expect(findings.map((finding) => `${finding.id}: ${String(finding.entry.data).slice(0, 120)}`)).toEqual([]);
    }
  });

  it('keeps both buckets private, encrypted and TLS-only, and logs the site bucket\'s accesses', () => {
    const buckets = resources(withClient.web, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const bucket of buckets) {
      expect(bucket.Properties).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      });
      expect(bucket.Properties['BucketName']).toBeUndefined();
      withClient.web.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucket.id },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
    withClient.web.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogs') }, LogFilePrefix: 'site/' } });
    withClient.web.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }) });
  });

  it('serves the bucket only through CloudFront, with origin access control', () => {
    withClient.web.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    withClient.web.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: [Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [Match.stringLikeRegexp('OriginAccessControl'), 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } })],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'], ResponseHeadersPolicyId: { Ref: Match.stringLikeRegexp('^SecurityHeaders') } }),
        Logging: { Bucket: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessLogs'), 'RegionalDomainName'] }, Prefix: 'cloudfront/' },
      }),
    });
    withClient.web.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' }, Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } } }),
        ]),
      },
    });
  });

  it('sends a strict Content-Security-Policy and the other security headers', () => {
    withClient.web.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: CSP, Override: true },
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        },
        CustomHeadersConfig: {
          Items: Match.arrayWith([
            Match.objectLike({ Header: 'Permissions-Policy', Value: Match.stringLikeRegexp('camera=\\(\\)') }),
            { Header: 'Cross-Origin-Opener-Policy', Value: 'same-origin', Override: true },
          ]),
        },
      },
    });
    // The issuer is allowed by origin (a path or trailing slash would not match in CSP).
    expect(dashboardContentSecurityPolicy('us-east-1', 'https://tenant.eu.auth0.com/')).toContain("connect-src 'self' https://*.execute-api.us-east-1.amazonaws.com https://tenant.eu.auth0.com;");
  });

  it('prints the dashboard\'s URL, its OIDC callback and logout URL', () => {
    // The dashboard's redirect_uri is `${location.origin}/`, which the OIDC app must list exactly.
    withClient.web.hasOutput('DashboardUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^Distribution'), 'DomainName'] }, '/']] } });
  });
});

describe('the API\'s CORS', () => {
  it('allows the dashboard\'s origin only, with the headers the API reads and sends', () => {
    const domain = exportOf(withClient.web, /Distribution.*DomainName/);
    withClient.api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::ImportValue': domain }]] }],
        AllowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
        AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        ExposeHeaders: ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'idempotent-replayed', 'x-keyledger-chain-head', 'x-request-id'],
        AllowCredentials: false,
        MaxAge: 3600,
      },
    });
  });
});

describe('the web-content stack (dashboard files and config.json)', () => {
  it('writes config.json with the API\'s URL and the OIDC settings', () => {
    const site = deployment(withClient.app, withClient.content, 'Site');
    const dir = site.dirs.find((candidate) => existsSync(join(candidate, 'config.json')))!;
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { api_url: string };
    expect(config).toEqual({
      api_url: expect.stringMatching(/^<<marker:0xbaba:\d+>>$/),
      oidc: { issuer: 'https://issuer.example.com/', client_id: 'DashboardSpaClient123', audience: 'keyledger', scope: `openid profile email ${ALL_SCOPES.join(' ')}` },
    });
    // The marker becomes the API's endpoint at deploy time.
    const markers = (site.resource.Properties['SourceMarkers'] as Array<Record<string, unknown>>).find((entry) => config.api_url in entry)!;
    expect(markers[config.api_url]).toEqual({ 'Fn::ImportValue': exportOf(withClient.api, /ApiEndpoint/) });
  });

  it("narrows connect-src to the API's and the issuer's exact origins in index.html, before its scripts", () => {
    const site = deployment(withClient.app, withClient.content, 'Site');
    const dirs = site.dirs.filter((candidate) => existsSync(join(candidate, 'index.html')));
    expect(dirs).toHaveLength(1);
    const html = readFileSync(join(dirs[0]!, 'index.html'), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="connect-src 'self' (<<marker:0xbaba:\d+>>) https:\/\/issuer\.example\.com">/.exec(html);
    expect(meta).not.toBeNull();
    expect(html.indexOf(meta![0])).toBeLessThan(Math.max(html.indexOf('<script'), html.indexOf('</head>')));
    const markers = (site.resource.Properties['SourceMarkers'] as Array<Record<string, unknown>>).find((entry) => meta![1]! in entry)!;
    expect(markers[meta![1]!]).toEqual({ 'Fn::ImportValue': exportOf(withClient.api, /ApiEndpoint/) });
  });

  it('writes "oidc": null without a dashboardClientId, in place of any config.json in the build', () => {
    const dist = fakeDashboardDist();
    writeFileSync(join(dist, 'config.json'), '{"api_url":"http://127.0.0.1:8787","oidc":null}\n');
    const { app, content } = synth({}, dist);
    const dirs = deployment(app, content, 'Site').dirs.filter((candidate) => existsSync(join(candidate, 'config.json')));
    expect(dirs).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dirs[0]!, 'config.json'), 'utf8'))).toEqual({ api_url: expect.stringMatching(/^<<marker:/), oidc: null });
  });

  it('caches hashed assets for a year and revalidates index.html and config.json, then invalidates the distribution', () => {
    const assets = deployment(withClient.app, withClient.content, 'Assets');
    const site = deployment(withClient.app, withClient.content, 'Site');
    expect(assets.resource.Properties).toMatchObject({ DestinationBucketKeyPrefix: 'assets/', Prune: false, SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' } });
    expect(site.resource.Properties).toMatchObject({
      Prune: true,
      Exclude: ['assets/*'],
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionId: { 'Fn::ImportValue': exportOf(withClient.web, /RefDistribution/) },
      DistributionPaths: ['/*'],
    });
    expect(site.resource.DependsOn).toEqual(expect.arrayContaining([assets.resource.id]));
    // The top-level deployment carries index.html but not the assets (deployed, and kept, by the other).
    const files = site.dirs.find((candidate) => existsSync(join(candidate, 'index.html')))!;
    expect(existsSync(join(files, 'assets'))).toBe(false);
    expect(existsSync(join(assets.dirs[0]!, 'index-Bx1.js'))).toBe(true);
  });

  it('stops synthesis when the dashboard is not built', () => {
    const empty = mkdtempSync(join(tmpdir(), 'keyledger-no-dashboard-'));
    expect(() => synth({}, empty)).toThrow(/admin dashboard is not built: .*index\.html is missing\. Run npm run build first/);
    // Without an assets/ directory there is only the top-level deployment.
    writeFileSync(join(empty, 'index.html'), '<!doctype html>\n<html><head></head><body></body></html>\n');
    expect(resources(synth({}, empty).content, 'Custom::CDKBucketDeployment')).toHaveLength(1);
  });
});
