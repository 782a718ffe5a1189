import type { Job } from './job';

/** A lease on a job: only its holder may save it, until it expires. */
export interface Lease {
  owner: string;
  untilMs: number;
}

/**
 * Where jobs live. Saves are conditional on the lease, so two processes never run the same job
 * at once and a job whose process died is taken over once its lease expires.
 */
export interface JobStore {
  /** Creates the job unless one with its id exists; false when it did (creation is idempotent). */
  create(job: Job): Promise<boolean>;
  get(tenant: string, id: string): Promise<Job | undefined>;
  /** Newest first; `after` is the id the previous page ended with. */
  list(tenant: string, page: { after?: string; limit: number }): Promise<{ jobs: Job[]; next: string | null }>;
  /** Takes (or renews) the lease of a running job; undefined when it is not running or another holder's lease is live. */
  claim(tenant: string, id: string, lease: Lease, nowMs: number): Promise<Job | undefined>;
  /** Saves progress and renews the lease; false when the lease was lost (stop working on the job). */
  save(job: Job, lease: Lease): Promise<boolean>;
  /** Every running job of every tenant (the runnable index). */
  runnable(): Promise<Array<{ tenant: string; id: string }>>;
  /** Deletes the job for good (its tenant was shredded). */
  delete(tenant: string, id: string): Promise<void>;
}
