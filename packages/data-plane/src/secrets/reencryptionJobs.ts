import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError } from '@keyledger/domain';
import { jobId, type Job, type JobStore } from '@keyledger/jobs';

export class JobNotFoundError extends NotFoundError {
  readonly errorCode = 'job_not_found';
}

export interface ReencryptionJobsOptions {
  store: JobStore;
  /** Namespaces every tenant has (a rekey's job covers them all). */
  namespaces: readonly string[];
  /**
   * A new job was stored: announce it (its first `job_progress` event) and have it run soon
   * (locally the stack's runner is told; in AWS the event starts the jobs Lambda). A failure
   * here is logged by the caller's hook and never fails the start: the job is stored, and the
   * scheduled pass resumes it.
   */
  onCreated?: (job: Job) => Promise<void> | void;
  clock?: () => Date;
}

/**
 * Starting and reading re-encryption jobs. A rekey's job has an id derived from the rekey (its
 * new TMK), so the event that announces the rekey, delivered at least once, starts one job.
 */
export class ReencryptionJobs {
  constructor(private readonly options: ReencryptionJobsOptions) {}

  /** The job of a rekey (created once, whatever the number of deliveries). */
  async startAfterRekey(tenant: string, rekey: { tmkKid: string; occurredAt: string }): Promise<Job> {
    const suffix = createHash('sha256').update(`${tenant}\0${rekey.tmkKid}`).digest('hex').slice(0, 8);
    return this.start(tenant, { id: jobId(Date.parse(rekey.occurredAt), suffix), cause: 'rekey', namespaces: [...this.options.namespaces] });
  }

  /** A job started by hand, for one namespace. */
  async startManual(tenant: string, namespace: string): Promise<Job> {
    const id = jobId(this.clock().getTime(), randomBytes(4).toString('hex'));
    return this.start(tenant, { id, cause: 'manual', namespaces: [namespace] });
  }

  async get(tenant: string, id: string): Promise<Job> {
    const job = await this.options.store.get(tenant, id);
    if (!job) throw new JobNotFoundError(`The job ${id} does not exist.`);
    return job;
  }

  list(tenant: string, page: { after?: string; limit: number }): Promise<{ jobs: Job[]; next: string | null }> {
    return this.options.store.list(tenant, page);
  }

  private async start(tenant: string, { id, cause, namespaces }: Pick<Job, 'id' | 'cause' | 'namespaces'>): Promise<Job> {
    const job: Job = {
      id,
      tenant,
      type: 'reencrypt-secrets',
      state: 'running',
      done: 0,
      total: 0,
      startedAt: this.clock().toISOString(),
      finishedAt: null,
      cause,
      namespaces,
      error: null,
      details: {},
      checkpoint: null,
    };
    if (!(await this.options.store.create(job))) return this.get(tenant, id);
    await this.options.onCreated?.(job);
    return job;
  }

  private clock(): Date {
    return this.options.clock?.() ?? new Date();
  }
}
