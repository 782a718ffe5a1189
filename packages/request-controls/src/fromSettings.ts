import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@keyledger/domain';
import type { RouteHandler } from '@keyledger/http';
import { readSettings, type Environment, type SettingValues } from '@keyledger/settings';
import { DynamoDbRateLimiter } from './dynamoDbRateLimiter';
import type { ReplayPolicy } from './idempotency';
import { DynamoDbIdempotencyStore } from './idempotencyStore';
import { MemoryRateLimiter, type RateLimiter } from './rateLimiter';
import { withRequestControls } from './requestControls';

export const REQUEST_CONTROL_SETTINGS = ['rateLimit', 'rateLimitBurst'] as const;

export interface RequestControlsWiring {
  settings: SettingValues<(typeof REQUEST_CONTROL_SETTINGS)[number]>;
  client: DynamoDBClient;
  tableName: string;
  tenantClaim: string;
  /** `memory`: the local stack's one process; `dynamodb`: a bucket shared by all Lambda instances. */
  buckets: 'memory' | 'dynamodb';
  policies?: Record<string, ReplayPolicy>;
  clock?: () => Date;
  logger: Logger;
}

/** The rate limiter the settings ask for, or none when KEYLEDGER_RATE_LIMIT is 0. */
export function rateLimiterFor(wiring: Omit<RequestControlsWiring, 'tenantClaim' | 'policies'>): RateLimiter | undefined {
  const { rateLimit, rateLimitBurst } = wiring.settings;
  if (rateLimit === 0) return undefined;
  const limit = { rate: rateLimit, burst: rateLimitBurst ?? rateLimit };
  return wiring.buckets === 'memory'
    ? new MemoryRateLimiter(limit, wiring.clock)
    : new DynamoDbRateLimiter(limit, { client: wiring.client, tableName: wiring.tableName, clock: wiring.clock });
}

/** Wraps routers with the controls; one limiter for all of them, so a tenant has one budget per process or deployment. */
export function requestControls(wiring: RequestControlsWiring): (router: RouteHandler) => RouteHandler {
  const rateLimiter = rateLimiterFor(wiring);
  const store = new DynamoDbIdempotencyStore({ client: wiring.client, tableName: wiring.tableName });
  return (router) =>
    withRequestControls(router, {
      tenantClaim: wiring.tenantClaim,
      rateLimiter,
      idempotency: { store, policies: wiring.policies, clock: wiring.clock, logger: wiring.logger },
      logger: wiring.logger,
    });
}

/** The Lambda functions' controls: settings from the environment the CDK app sets, buckets in DynamoDB. */
export function awsRequestControls(
  env: Environment,
  wiring: Pick<RequestControlsWiring, 'client' | 'tenantClaim' | 'policies' | 'logger'>,
): (router: RouteHandler) => RouteHandler {
  const { requestControlsTable, ...settings } = readSettings([...REQUEST_CONTROL_SETTINGS, 'requestControlsTable'], env);
  return requestControls({ ...wiring, settings, tableName: requestControlsTable, buckets: 'dynamodb' });
}
