import type { RegionRule } from '@keyledger/domain';
import { jobProgressEvent, recordApiCalls, type ActivityRecorder } from '@keyledger/activity';
import {
  CryptoDataPlane,
  ReencryptionJobs,
  SecretReencryption,
  SecretsService,
  type DataPlaneLimits,
  type DataPlaneStores,
  type NamespaceKeySource,
} from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import { createServiceRouter } from '@keyledger/http';
import type { Job } from '@keyledger/jobs';
import { createCryptoDataPlaneHandlers } from './handlers';
import { dataPlaneReplayPolicies } from './replayPolicies';

export interface CryptoDataPlaneServiceOptions {
  /** Multi-Region: outside the write Region, routes that change anything answer 503 read_only_region. */
  regions?: RegionRule;
  keySource: NamespaceKeySource;
  stores: Pick<DataPlaneStores, 'secretStore' | 'usage' | 'jobStore'>;
  /** Namespaces every tenant has (a rekey's re-encryption job covers them all). */
  namespaces: readonly string[];
  limits?: Partial<DataPlaneLimits>;
  /** Where changes to secrets are recorded as sapi/fapi. */
  activity: ActivityRecorder;
  tenantClaim: string;
  logger: Logger;
  clock?: () => Date;
  /** A job was created and should run soon (locally: the stack's runner). */
  onJobCreated?: (job: Job) => void;
  /** Tests only: see SecretReencryption. */
  afterReencryptionPageWrites?: (pages: number) => void;
}

/**
 * The crypto-data-plane service, the same locally and on Lambda: the data plane (its caches
 * live as long as the process), the secret store, re-encryption jobs, and one router.
 */
export function createCryptoDataPlaneService(options: CryptoDataPlaneServiceOptions) {
  const { activity, tenantClaim, logger, stores, clock } = options;
  const dataPlane = new CryptoDataPlane({ keySource: options.keySource, usage: stores.usage, limits: options.limits, logger });
  const secrets = new SecretsService({ store: stores.secretStore, dataPlane, clock });
  // A job's start is its first job_progress event (in AWS it starts the jobs Lambda). Recording
  // never throws: were it lost, the job is stored all the same and the scheduled pass runs it.
  const announce = async (job: Job) => {
    await activity.record([jobProgressEvent(job)]);
    options.onJobCreated?.(job);
  };
  const jobs = new ReencryptionJobs({ store: stores.jobStore, namespaces: options.namespaces, onCreated: announce, clock });
  const reencryption = new SecretReencryption({
    store: stores.secretStore,
    dataPlane,
    clock,
    logger,
    afterPageWrites: options.afterReencryptionPageWrites,
  });
  const router = createServiceRouter(
    'crypto-data-plane',
    createCryptoDataPlaneHandlers({
      dataPlane,
      secrets,
      jobs,
      tenantClaim,
      logger,
      recordChanges: (handler) => recordApiCalls(handler, { activity, tenantClaim, logger }),
    }),
    { regions: options.regions },
  );
  return { router, dataPlane, secrets, jobs, reencryption, replayPolicies: dataPlaneReplayPolicies(secrets) };
}
