import { silentLogger, type Logger } from '@keyledger/domain';
import type { JobRunner } from '@keyledger/jobs';
import type { KeyHierarchyService } from '@keyledger/key-hierarchy';
import { durationMs } from '@keyledger/settings';

const JOB_RESUME_MS = 30_000;
const RETENTION_PASS_MS = 5 * 60_000;
const EXPIRY_PASS_MS = 10 * 60_000;
const DESTRUCTION_PASS_MS = 30_000;
const ROTATION_PASS_MS = 60_000;

/**
 * What runs on its own in the local stack (in AWS: EventBridge schedules): jobs left by a crash
 * resume at start (this process is the only one on its data dir, so their leases are taken
 * over), failed job steps are retried, secrets whose scheduled rotation is due rotate, due
 * destruction requests execute (or expire), tenants'
 * retention settings are applied, and items past
 * their time to live (idempotency records, rate-limit buckets) are deleted, as DynamoDB would.
 */
export class LocalSchedulers {
  private timers: NodeJS.Timeout[] = [];
  private readonly logger: Logger;

  constructor(
    private readonly options: {
      runner: JobRunner;
      keyHierarchy: KeyHierarchyService;
      /** Scheduled secret rotations (in AWS: a one-minute schedule invoking the jobs function). */
      rotations?: { runDue(): Promise<number> };
      runJobs: boolean;
      /** DynamoDB's time to live, which dynalite lacks: deletes expired items, says how many. */
      expireItems?: () => Promise<number>;
      logger?: Logger;
    },
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    if (this.options.runJobs) {
      const resumed = await this.options.runner.resumeAll({ takeOver: true });
      if (resumed > 0) this.logger.info('resuming jobs left by the previous run', { jobs: resumed });
      this.every(JOB_RESUME_MS, () => this.options.runner.resumeAll());
    }
    this.every(DESTRUCTION_PASS_MS, () => this.destruction());
    this.every(ROTATION_PASS_MS, () => this.rotate());
    this.every(RETENTION_PASS_MS, () => this.retention());
    this.every(EXPIRY_PASS_MS, () => this.expire());
  }

  /** Every scheduler, now (after the dev clock moved). */
  async runAll(): Promise<void> {
    await this.rotate();
    await this.destruction();
    await this.retention();
    await this.expire();
    if (this.options.runJobs) await this.options.runner.resumeAll();
  }

  private async expire(): Promise<void> {
    const deleted = (await this.options.expireItems?.()) ?? 0;
    if (deleted > 0) this.logger.info('expired items deleted (DynamoDB time to live, emulated)', { items: deleted });
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.options.runner.stop();
  }

  private async rotate(): Promise<void> {
    const rotated = (await this.options.rotations?.runDue()) ?? 0;
    if (rotated > 0) this.logger.info('secrets rotated on schedule', { secrets: rotated });
  }

  private async destruction(): Promise<void> {
    const settled = await this.options.keyHierarchy.settleDueDestructions();
    if (settled.executed + settled.expired + settled.failed > 0) this.logger.info('destruction requests settled', settled);
  }

  private async retention(): Promise<void> {
    const { retired } = await this.options.keyHierarchy.retireByRetention();
    if (retired.length > 0) this.logger.info('keys retired by retention settings', { keys: retired.length });
  }

  private every(ms: number, run: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      run().catch((error: unknown) => this.logger.warn('scheduled work failed; it runs again at its next turn', { error: String(error) }));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

/**
 * The dev clock (README, KEYLEDGER_DEV_CLOCK=1, local only): the stack's time is real time
 * plus an offset that `POST /dev/clock {"advance": "P1D"}` moves forward, never back.
 */
export class DevClock {
  private offsetMs = 0;

  readonly now = (): Date => new Date(Date.now() + this.offsetMs);

  /** Moves the clock forward by an ISO 8601 duration; the message says what is wrong with a bad one. */
  advance(duration: unknown): Date {
    const ms = typeof duration === 'string' ? durationMs(duration) : undefined;
    if (ms === undefined) throw new Error('advance must be an ISO 8601 duration of weeks, days, hours, minutes and seconds, e.g. "P1D" or "PT30M"');
    this.offsetMs += ms;
    return this.now();
  }
}
