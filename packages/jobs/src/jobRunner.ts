import { randomUUID } from 'node:crypto';
import { hasErrorCode, silentLogger, type Logger } from '@keyledger/domain';
import type { Job, JobType } from './job';
import type { JobStore, Lease } from './jobStore';

/** What a job type does: one bounded step at a time, each followed by a checkpoint. */
export interface JobWorker {
  /**
   * Advances the job by one bounded step and returns it with its new progress and checkpoint
   * (state `succeeded` or `failed` when it is done). `checkpoint` saves an intermediate record
   * (e.g. what a step is about to do, so a crash in the middle can be resumed exactly); it
   * resolves false when the lease was lost.
   */
  step(job: Job, checkpoint: (job: Job) => Promise<boolean>): Promise<Job>;
}

export interface JobRunnerOptions {
  store: JobStore;
  workers: Record<JobType, JobWorker>;
  /** Called when a job starts, finishes, and at most every `progressEveryMs` in between. */
  onProgress?: (job: Job) => Promise<void> | void;
  progressEveryMs?: number;
  leaseMs?: number;
  owner?: string;
  clock?: () => Date;
  logger?: Logger;
}

/**
 * Runs jobs to their end, one step at a time, each step checkpointed under a lease. A job whose
 * process died is resumed from its last checkpoint by whoever claims it next: locally the stack
 * on its next start (`resumeAll({ takeOver: true })`), in AWS a scheduled run once the lease has
 * expired. Jobs of this process run one after another.
 */
export class JobRunner {
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly progressEveryMs: number;
  private readonly logger: Logger;
  private readonly queue: Array<{ tenant: string; id: string; takeOver: boolean }> = [];
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.owner = options.owner ?? `runner-${randomUUID()}`;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.progressEveryMs = options.progressEveryMs ?? 2_000;
    this.logger = options.logger ?? silentLogger;
  }

  /** Runs the job soon (in the background). */
  kick(tenant: string, id: string, takeOver = false): void {
    if (this.stopped) return;
    this.queue.push({ tenant, id, takeOver });
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Every job with work left, of every tenant. */
  runnableJobs(): Promise<Array<{ tenant: string; id: string }>> {
    return this.options.store.runnable();
  }

  /** Queues every running job; with `takeOver`, live leases of other holders are ignored (a process that knows it is the only one). */
  async resumeAll({ takeOver = false }: { takeOver?: boolean } = {}): Promise<number> {
    const runnable = await this.options.store.runnable();
    for (const { tenant, id } of runnable) this.kick(tenant, id, takeOver);
    return runnable.length;
  }

  /** Runs one job until it ends, the lease is lost or `deadline` (ms) passes; resolves with the job as last saved. */
  async run(tenant: string, id: string, { takeOver = false, deadlineMs = Number.POSITIVE_INFINITY } = {}): Promise<Job | undefined> {
    const claimedAt = this.now();
    let job = await this.options.store.claim(tenant, id, this.lease(), takeOver ? Number.MAX_SAFE_INTEGER : claimedAt);
    if (!job) return undefined;
    const worker = this.options.workers[job.type];
    let reported = 0;
    // What the job's creation announced: a report says something new (a count, a state), never that again.
    let shown = `${job.state}:${job.done}:${job.total}`;
    const report = async (current: Job, force: boolean) => {
      const now = `${current.state}:${current.done}:${current.total}`;
      if (now === shown || (!force && this.now() - reported < this.progressEveryMs)) return;
      reported = this.now();
      shown = now;
      try {
        await this.options.onProgress?.(current);
      } catch (error) {
        this.logger.warn('job progress not reported', { tenant, jobId: id, error: String(error) });
      }
    };
    // The job's start was announced by whoever created it; the runner reports its steps.
    while (job.state === 'running' && !this.stopped && this.now() < deadlineMs) {
      let next: Job;
      try {
        next = await worker.step(job, (intermediate) => this.options.store.save(intermediate, this.lease()));
      } catch (error) {
        // A shredded tenant's job has nothing left to work on: it goes with the tenant's other data.
        if (hasErrorCode(error, 'tenant_shredded')) {
          await this.options.store.delete(tenant, id);
          this.logger.info('job of a shredded tenant deleted', { tenant, jobId: id });
          return undefined;
        }
        // A step that throws is retried from its checkpoint by the next run; it is logged, not lost.
        this.logger.error('job step failed; it resumes from its checkpoint', { tenant, jobId: id, error: String(error) });
        return job;
      }
      if (!(await this.options.store.save(next, this.lease()))) {
        this.logger.warn('job lease lost; another runner has it', { tenant, jobId: id });
        return next;
      }
      job = next;
      await report(job, job.state !== 'running');
    }
    return job;
  }

  /** Stops taking steps (the current one finishes) and waits. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await this.running;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next && !this.stopped; next = this.queue.shift()) {
      try {
        await this.run(next.tenant, next.id, { takeOver: next.takeOver });
      } catch (error) {
        this.logger.error('job run failed', { tenant: next.tenant, jobId: next.id, error: String(error) });
      }
    }
  }

  private lease(): Lease {
    return { owner: this.owner, untilMs: this.now() + this.leaseMs };
  }

  private now(): number {
    return (this.options.clock?.() ?? new Date()).getTime();
  }
}
