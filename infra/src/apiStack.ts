import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, LogGroupLogDestination, type CorsPreflightOptions } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { RECEIPT_KEYS_PATH, ROUTES, type ServiceName } from '@keyledger/http';
import { NagSuppressions } from 'cdk-nag';
import type { KeyledgerContext } from './config';
import type { KeyledgerFunction } from './keyledgerFunction';

export interface ApiStackProps extends StackProps {
  context: KeyledgerContext;
  functions: Record<ServiceName, KeyledgerFunction>;
  logRetention: RetentionDays;
  /** The admin dashboard's origin (`https://<distribution domain>`): the only origin CORS allows. */
  dashboardOrigin?: string;
}

/** What each access log line records: who called what, how it went; never bodies or tokens. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  sub: '$context.authorizer.claims.sub',
  responseLength: '$context.responseLength',
};

/**
 * CORS for the admin dashboard, a browser app on another origin: only that origin, the methods
 * of the route table, the request headers the API reads, and the response headers it sends
 * that a script may read. No credentials: the dashboard sends a bearer token, never cookies.
 * API Gateway answers the preflight itself (before the authorizer) and adds the headers to
 * every response.
 */
export function dashboardCors(origin: string): CorsPreflightOptions {
  return {
    allowOrigins: [origin],
    allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
    allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
    exposeHeaders: ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'idempotent-replayed', 'x-keyledger-chain-head', 'x-request-id'],
    allowCredentials: false,
    maxAge: Duration.hours(1),
  };
}

/**
 * The HTTP API: one route per entry of the route table (packages/http), each behind the JWT
 * authorizer, integrated with its service's function. The authorizer verifies the token
 * (signature, issuer, audience, expiry) and sets no route scopes: API Gateway reads scopes only
 * from `scope`/`scp`, so it would refuse an Auth0 RBAC token that carries them in `permissions`.
 * The handler checks the route's scopes, all of them, from `scope`, `scp` and `permissions`, so
 * both layers accept the same tokens. The stage throttles and writes JSON access logs. With a
 * `dashboardOrigin`, the API sends CORS headers for that origin only (`dashboardCors`).
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { context } = props;
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/keyledger/${context.stage}/api-access`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.api = new HttpApi(this, 'Api', {
      apiName: `keyledger-${context.stage}`,
      description: 'keyledger Management API, crypto data plane and tenant logs',
      createDefaultStage: false,
      ...(props.dashboardOrigin ? { corsPreflight: dashboardCors(props.dashboardOrigin) } : {}),
    });
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: context.apiThrottleRateLimit, burstLimit: context.apiThrottleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', context.jwtIssuer, {
      authorizerName: 'keyledger-jwt',
      jwtAudience: [context.jwtAudience],
    });
    const integrations = Object.fromEntries(
      Object.entries(props.functions).map(([service, fn]) => [service, new HttpLambdaIntegration(`${service}-integration`, fn.function)]),
    ) as Record<ServiceName, HttpLambdaIntegration>;
    for (const route of ROUTES) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrations[route.service],
        authorizer,
      });
    }
    // The receipt keys' JWKS is public, like any JWKS: a verifier of a destruction receipt needs no token.
    const [receiptKeys] = this.api.addRoutes({ path: RECEIPT_KEYS_PATH, methods: [HttpMethod.GET], integration: integrations['key-admin'] });
    NagSuppressions.addResourceSuppressions(receiptKeys!, [
      { id: 'AwsSolutions-APIG4', reason: 'The JWKS of the destruction receipt keys is public by design (public keys only), like /.well-known/jwks.json of any issuer.' },
    ]);
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Point tenant tooling here (KEYLEDGER_URL).' });
  }
}
