import { backoffDelay, silentLogger, type Logger } from '@keyledger/domain';
import type { Commit, EventStore } from '@keyledger/event-store';
import type { CheckpointStore } from './checkpointStore';
import type { CommitPublisher } from './commitPublisher';

export interface CatchUpPublisherOptions {
  eventStore: EventStore;
  commits: CommitPublisher;
  checkpoints: CheckpointStore;
  consumer?: string;
  /** Multi-Region: publish only the commits made in this Region. */
  region?: string;
  /**
   * How far behind its checkpoint each pass re-reads. The commit log is ordered by the writer's
   * clock, so a commit whose write lands later than a newer one is still found if it lands
   * within this window. Re-read commits already published by this process are skipped. The
   * window is re-read at most once per poll interval; a pass woken by a commit starts where the
   * previous pass stopped. A commit lands at most this long after its clock time, so once the
   * clock is past a commit's time by more than this, nothing can still land before it: after a
   * burst, the re-reading stops within one window instead of repeating while nothing is committed.
   */
  overlapMs?: number;
  /** The writers' clock (the local stack's dev clock, if it has one). */
  clock?: () => Date;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Backoff base after a failed publish (jittered, doubling up to maxRetryDelayMs). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  logger?: Logger;
}

export interface PassResult {
  published: number;
  failedCommits: number;
}

/**
 * The outbox publisher of the local stack: the same CommitPublisher as in AWS, fed by a reader
 * over the commit log with a durable checkpoint instead of DynamoDB Streams. The checkpoint
 * only moves past a commit once every commit before it is on the bus, so a crash between a
 * commit and its publication loses nothing: the next pass (after a restart) publishes it.
 */
export class CatchUpPublisher {
  private readonly consumer: string;
  private readonly overlapMs: number;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly logger: Logger;
  private checkpoint: string | undefined;
  private checkpointLoaded = false;
  /** Where the last pass stopped reading, and when the overlap window was last re-read. */
  private readPosition: string | undefined;
  private lastOverlapScan = Number.NEGATIVE_INFINITY;
  /** Positions published by this process inside the overlap window (so re-reads skip them). */
  private readonly published = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private running = false;
  private failures = 0;

  constructor(private readonly options: CatchUpPublisherOptions) {
    this.consumer = options.consumer ?? 'outbox-publisher';
    this.overlapMs = options.overlapMs ?? 60_000;
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.logger = options.logger ?? silentLogger;
  }

  /** Publishes everything committed after the checkpoint, until caught up or a publish fails. */
  async runOnce(): Promise<PassResult> {
    if (!this.checkpointLoaded) {
      this.checkpoint = await this.options.checkpoints.load(this.consumer);
      this.checkpointLoaded = true;
    }
    const result: PassResult = { published: 0, failedCommits: 0 };
    let after = this.startOfPass();
    for (;;) {
      const commits = await this.options.eventStore.readCommitLog({ after, limit: this.batchSize });
      if (commits.length === 0) break;
      // Multi-Region: the commit log holds the other Regions' commits too (replicated); their own outbox publishes them.
      const fresh = commits.filter((commit) => !this.published.has(commit.position) && (!this.options.region || !commit.region || commit.region === this.options.region));
      const { failedCommits, published } = await this.options.commits.publish(fresh);
      result.published += published;
      result.failedCommits += failedCommits.length;
      const failed = new Set<Commit>(failedCommits);
      for (const commit of fresh) if (!failed.has(commit)) this.published.add(commit.position);
      const caughtUp = await this.advance(commits);
      if (failed.size > 0 || !caughtUp) break;
      after = commits[commits.length - 1]!.position;
      this.readPosition = after;
    }
    this.prune();
    return result;
  }

  /** Starts polling (and publishes what a previous run left behind right away). */
  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** A commit just happened: publish soon rather than at the next poll. */
  notify(): void {
    if (!this.running) return;
    if (this.inFlight) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  /**
   * Moves the checkpoint to the end of the longest fully published prefix of `commits`; true
   * when that is the whole batch.
   */
  private async advance(commits: Commit[]): Promise<boolean> {
    const firstUnpublished = commits.findIndex((commit) => !this.published.has(commit.position));
    const prefix = firstUnpublished === -1 ? commits : commits.slice(0, firstUnpublished);
    const last = prefix.at(-1)?.position;
    if (last !== undefined && (this.checkpoint === undefined || last > this.checkpoint)) {
      await this.options.checkpoints.save(this.consumer, last);
      this.checkpoint = last;
    }
    return firstUnpublished === -1;
  }

  /** The overlap window behind the checkpoint once per poll interval; otherwise where the last pass stopped. */
  private startOfPass(): string {
    const now = Date.now();
    if (this.readPosition !== undefined && now - this.lastOverlapScan < this.pollIntervalMs) return this.readPosition;
    this.lastOverlapScan = now;
    return this.checkpoint ? this.overlapStart(this.checkpoint) : '';
  }

  /**
   * Where re-reading behind `checkpoint` starts: the window before it, but nothing older than
   * the clock minus the window (no commit can still land there), and never past the checkpoint.
   */
  private overlapStart(checkpoint: string): string {
    const committedAt = Date.parse(checkpoint.slice(0, 24));
    if (Number.isNaN(committedAt)) return '';
    const window = new Date(committedAt - this.overlapMs).toISOString();
    const settled = new Date((this.options.clock?.() ?? new Date()).getTime() - this.overlapMs).toISOString();
    const start = window > settled ? window : settled;
    return start < checkpoint ? start : checkpoint;
  }

  private prune(): void {
    if (!this.checkpoint) return;
    const horizon = this.overlapStart(this.checkpoint);
    for (const position of this.published) if (position < horizon) this.published.delete(position);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.runOnce()
      .then((result) => {
        this.failures = result.failedCommits > 0 ? this.failures + 1 : 0;
      })
      .catch((error: unknown) => {
        this.failures += 1;
        this.logger.error('outbox pass failed', { error: (error as Error).name, message: (error as Error).message });
      })
      .finally(() => {
        this.inFlight = undefined;
        const delay =
          this.failures > 0
            ? backoffDelay(this.failures, this.options.retryDelayMs ?? 250, this.options.maxRetryDelayMs ?? 30_000)
            : this.again
              ? 0
              : this.pollIntervalMs;
        this.again = false;
        this.schedule(delay);
      });
  }
}
