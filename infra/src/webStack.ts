import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { KeyledgerContext } from './config';

export interface WebStackProps extends StackProps {
  context: KeyledgerContext;
}

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles, images and fonts only (the
 * Vite build has no inline script or style), requests to the API and the OIDC issuer, and sign-in
 * forms posted only to itself and the issuer. No frames, no plugins, no `<base>`.
 *
 * The API's own origin cannot be named here: the API allows CORS for the distribution's domain,
 * so the API stack depends on this one, and naming the API's URL here would close the cycle.
 * `https://*.execute-api.<region>.amazonaws.com` allows HTTP and WebSocket APIs of this region
 * only; the dashboard learns which one from its config.json.
 */
export function dashboardContentSecurityPolicy(region: string, jwtIssuer: string): string {
  const issuer = new URL(jwtIssuer).origin;
  const api = `https://*.execute-api.${region}.amazonaws.com`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${api} ${issuer}`,
    `form-action 'self' ${issuer}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Browser features the dashboard never uses, turned off for it and anything it could load. */
export const PERMISSIONS_POLICY = 'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()';

/**
 * The admin dashboard's hosting: a private bucket that only the CloudFront distribution reads
 * (origin access control), served over HTTPS with strict security headers. Its content (the
 * built dashboard and config.json) is deployed by the web-content stack, after the API, which
 * allows CORS for `origin`.
 */
export class WebStack extends Stack {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>`: the dashboard's origin (CORS); `DashboardUrl` is it with a `/`, the OIDC callback and logout URL. */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: WebStackProps) {
    super(scope, id, props);
    const { context } = props;

    // S3 server access logs (site/) and CloudFront standard logs (cloudfront/), which need ACLs.
    // cdk-nag exempts a bucket that is the log target of another from logging itself (S1).
    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(context.logRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    // The content is built from the repository and redeployed by the web-content stack, so the
    // bucket and its objects go with the stack (it has no fixed name: nothing blocks a retry).
    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'site/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `keyledger-${context.stage} dashboard security headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: dashboardContentSecurityPolicy(this.region, context.jwtIssuer), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: PERMISSIONS_POLICY, override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          { header: 'Cross-Origin-Resource-Policy', value: 'same-origin', override: true },
        ],
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `keyledger-${context.stage} admin dashboard`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // Honours the objects' Cache-Control: no-cache for index.html and config.json, a year for hashed assets.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The dashboard is for a deployment\'s operators wherever they are; every API call it makes needs a token from the issuer, so a geo restriction adds nothing.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'The distribution serves static files only (GET and HEAD, no origin logic); the API it calls has its own throttling and rate limits. Attach a WAF web ACL if your organisation requires one.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The distribution uses the default *.cloudfront.net certificate (no custom domain is configured), for which CloudFront fixes the minimum protocol to TLSv1; browsers negotiate TLS 1.2 or 1.3.',
      },
    ]);

    this.origin = `https://${this.distribution.distributionDomainName}`;
    // With the slash: the dashboard's redirect_uri is exactly `${location.origin}/`.
    new CfnOutput(this, 'DashboardUrl', {
      value: `${this.origin}/`,
      description: "The admin dashboard; add it to the OIDC app's allowed callback and logout URLs, and its origin (no slash) to the allowed web origins.",
    });
  }
}
