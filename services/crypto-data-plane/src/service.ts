import type { RegionRule } from '@keyledger/domain';
import { recordApiCalls } from '@keyledger/activity';
import type { DynamoDbSecretControls } from '@keyledger/data-plane';
import { createServiceRouter, type HttpResult } from '@keyledger/http';
import { createDataPlaneCore, type DataPlaneCoreOptions } from './core';
import { createCryptoDataPlaneHandlers } from './handlers';
import { dataPlaneReplayPolicies } from './replayPolicies';
import { createSecretPolicies } from './secretPolicies';

export interface CryptoDataPlaneServiceOptions extends DataPlaneCoreOptions {
  /** Multi-Region: outside the write Region, routes that change anything answer 503 read_only_region. */
  regions?: RegionRule;
  /** Secrets' settings, read counts and access rules (the Secrets table). */
  secretControls: DynamoDbSecretControls;
  /** How often counted secret reads are written as secret_accessed summaries (KEYLEDGER_USAGE_FLUSH_INTERVAL). */
  usageFlushIntervalMs: number;
  tenantClaim: string;
}

/**
 * The crypto-data-plane API, the same locally and on Lambda: the data plane core (core.ts), what
 * guards and counts secret reads (secretPolicies.ts), and one router. Its worker (re-encryption
 * jobs, scheduled rotations) is workers.ts, a Lambda of its own in AWS.
 */
export function createCryptoDataPlaneService(options: CryptoDataPlaneServiceOptions) {
  const { activity, tenantClaim, logger, clock } = options;
  const { dataPlane, secrets, jobs } = createDataPlaneCore(options);
  const controls = options.secretControls;
  const policies = createSecretPolicies({
    controls,
    activity,
    regions: options.regions,
    flushIntervalMs: options.usageFlushIntervalMs,
    // Access rules and audit modes are re-read as often as the hierarchy (KEYLEDGER_KEY_STATE_TTL_MS).
    cacheTtlMs: dataPlane.limits.keyStateTtlMs,
    clock,
    logger,
  });
  const router = createServiceRouter(
    'crypto-data-plane',
    createCryptoDataPlaneHandlers({
      dataPlane,
      secrets,
      controls,
      policies,
      activity,
      jobs,
      tenantClaim,
      logger,
      clock,
      recordChanges: (handler) => recordApiCalls(handler, { activity, tenantClaim, logger }),
      recordRefusals: (handler) => recordApiCalls(handler, { activity, tenantClaim, logger, only: refusedByRule }),
    }),
    { regions: options.regions },
  );
  return { router, dataPlane, secrets, policies, jobs, replayPolicies: dataPlaneReplayPolicies(secrets, policies, tenantClaim) };
}

/** A secret read refused by an access rule (403 secret_access_denied): recorded as fapi. */
function refusedByRule(result: HttpResult): boolean {
  return result.statusCode === 403 && (result.body ?? '').includes('"errorCode":"secret_access_denied"');
}
