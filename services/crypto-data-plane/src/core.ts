import { jobProgressEvent, type ActivityRecorder } from '@keyledger/activity';
import { CryptoDataPlane, ReencryptionJobs, SecretsService, type DataPlaneLimits, type DataPlaneStores, type NamespaceKeySource } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import type { Job } from '@keyledger/jobs';

export interface DataPlaneCoreOptions {
  keySource: NamespaceKeySource;
  stores: Pick<DataPlaneStores, 'secretStore' | 'usage' | 'jobStore'>;
  /** Namespaces every tenant has (a rekey's re-encryption job covers them all). */
  namespaces: readonly string[];
  limits?: Partial<DataPlaneLimits>;
  /** Where activity is recorded (sapi/fapi, job progress, secret events). */
  activity: ActivityRecorder;
  logger: Logger;
  clock?: () => Date;
  /** A job was created and should run soon (locally: the stack's runner). */
  onJobCreated?: (job: Job) => void;
}

/**
 * What the data plane's API and its worker (jobs, rotations) both build on: the data plane (its
 * caches live as long as the process), the secrets service, and the re-encryption jobs.
 */
export function createDataPlaneCore(options: DataPlaneCoreOptions) {
  const { activity, logger, stores, clock } = options;
  const dataPlane = new CryptoDataPlane({ keySource: options.keySource, usage: stores.usage, limits: options.limits, logger });
  const secrets = new SecretsService({ store: stores.secretStore, dataPlane, clock });
  // A job's start is its first job_progress event (in AWS it starts the jobs Lambda). Recording
  // never throws: were it lost, the job is stored all the same and the scheduled pass runs it.
  const announce = async (job: Job) => {
    await activity.record([jobProgressEvent(job)]);
    options.onJobCreated?.(job);
  };
  const jobs = new ReencryptionJobs({ store: stores.jobStore, namespaces: options.namespaces, onCreated: announce, clock });
  return { dataPlane, secrets, jobs };
}

export type DataPlaneCore = ReturnType<typeof createDataPlaneCore>;
