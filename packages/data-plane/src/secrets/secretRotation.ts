import { zeroize } from '@keyledger/crypto';
import { silentLogger, type Logger } from '@keyledger/domain';
import { durationMs } from '@keyledger/settings';
import { SecretVersionConflictError } from '../errors';
import type { DynamoDbRotationQueue, DynamoDbSecretControls } from './secretControls';
import type { SecretsService } from './secretsService';
import type { SecretRef, SecretStore } from './secretStore';

/** Who scheduled rotations name as a version's creator. */
export const ROTATION_ACTOR = 'keyledger-rotation';
/** Secrets rotated per page of the due index; a pass reads pages until none is due or it did `limit`. */
const PAGE = 25;

/** What a scheduled rotation tells its consumers: the secret's new version (never its value). */
export interface SecretRotatedNotice extends SecretRef {
  due: string;
  version: number;
  previousVersion: number | null;
  period: string;
  pruned: number[];
  rotatedAt: string;
}

/**
 * The next due time after a rotation for `due`: the first `due + k × period` later than now.
 * After downtime, a backlog of missed periods is one rotation, not one per period.
 */
export function nextRotationAfter(due: string, periodMs: number, now: Date): string {
  const start = Date.parse(due);
  const periods = Math.max(1, Math.floor((now.getTime() - start) / periodMs) + 1);
  return new Date(start + periods * periodMs).toISOString();
}

/**
 * Scheduled rotations (PUT /v1/secrets/{name}/rotation): each pass rotates the secrets that are
 * due, each due time exactly once however many passes run at once. For a due time it:
 * 1. writes the new version (a random value, never returned) with the due time on it, expecting
 *    the current version: of two passes, one writes and the other finds the version written;
 * 2. announces it (`announce` must be idempotent per secret and due time: a `secret_rotated`
 *    event appended once);
 * 3. deletes the versions beyond the schedule's `keep`;
 * 4. moves the schedule to its next due time, only if it is still due at this one.
 * A pass that stops between two steps leaves the schedule due: the next pass finds the version,
 * and does the rest.
 */
export class SecretRotations {
  private readonly clock: () => Date;
  private readonly logger: Logger;

  constructor(
    private readonly options: {
      secrets: SecretsService;
      store: SecretStore;
      controls: Pick<DynamoDbSecretControls, 'settings'>;
      queue: DynamoDbRotationQueue;
      announce: (notice: SecretRotatedNotice) => Promise<void>;
      clock?: () => Date;
      logger?: Logger;
    },
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Rotates what is due now, reading the due index page after page (so secrets that keep failing
   * do not hide the ones after them); how many secrets it rotated. A failure is logged and left
   * due for the next pass. At most `limit` secrets per pass; the next pass goes on.
   */
  async runDue(limit = 500): Promise<number> {
    let rotated = 0;
    let seen = 0;
    const done = new Set<string>();
    const now = this.clock().toISOString();
    let after: Parameters<DynamoDbRotationQueue['dueRotations']>[2];
    do {
      const page = await this.options.queue.dueRotations(now, PAGE, after);
      for (const ref of page.due) {
        // An index read may repeat what a moved schedule left behind: each secret once per pass.
        if (done.has(key(ref)) || seen >= limit) continue;
        done.add(key(ref));
        seen += 1;
        try {
          if (await this.rotate(ref, ref.due)) rotated += 1;
        } catch (error) {
          this.logger.warn('scheduled rotation failed; it stays due for the next pass', { tenant: ref.tenant, namespace: ref.namespace, name: ref.name, error: String(error) });
        }
      }
      after = page.next;
    } while (after && seen < limit);
    return rotated;
  }

  /** One due time of one secret; false when it was not due (any more) at that time. */
  async rotate(ref: SecretRef, due: string): Promise<boolean> {
    const { controls, store } = this.options;
    const schedule = (await controls.settings(ref)).rotation;
    if (!schedule || schedule.nextRotationAt !== due) return false;
    const now = this.clock();
    let version: number | undefined;
    let previousVersion: number | null = null;
    for (let attempt = 0; version === undefined && attempt < 3; attempt += 1) {
      const live = await store.versions(ref);
      const done = live.find((info) => info.rotationDue === due);
      if (done) {
        version = done.version;
        previousVersion = live.find((info) => info.version < done.version)?.version ?? null;
        break;
      }
      previousVersion = live[0]?.version ?? null;
      if (previousVersion === null) {
        // Every version was deleted: a schedule never brings a secret back. It goes too.
        await this.options.queue.dropRotation(ref, due);
        this.logger.info('rotation schedule removed: its secret has no version left', { tenant: ref.tenant, namespace: ref.namespace, name: ref.name });
        return false;
      }
      try {
        const written = await this.options.secrets.rotate({ ...ref, length: schedule.length, characters: schedule.characters, expectedVersion: previousVersion, actor: ROTATION_ACTOR, rotationDue: due });
        zeroize(written.value);
        version = written.version;
      } catch (error) {
        // Another pass wrote this due time's version, or a put came in between: look again.
        if (!(error instanceof SecretVersionConflictError)) throw error;
      }
    }
    if (version === undefined) throw new Error(`the secret '${ref.name}' kept changing while it was rotated`);
    const pruned = schedule.keep === null ? [] : await this.prune(ref, schedule.keep, version);
    await this.options.announce({ ...ref, due, version, previousVersion, period: schedule.period, pruned, rotatedAt: now.toISOString() });
    const periodMs = durationMs(schedule.period)!;
    await this.options.queue.advanceRotation(ref, due, { nextRotationAt: nextRotationAfter(due, periodMs, now), rotatedAt: now.toISOString(), version });
    this.logger.info('secret rotated on schedule', { tenant: ref.tenant, namespace: ref.namespace, name: ref.name, version, due });
    return true;
  }

  /** Deletes the live versions beyond the newest `keep` (never `current`); the numbers deleted. */
  private async prune(ref: SecretRef, keep: number, current: number): Promise<number[]> {
    const live = await this.options.store.versions(ref);
    const old = live.filter((info) => info.version < current).slice(Math.max(0, keep - 1));
    const deleted: number[] = [];
    for (const info of old) if (await this.options.store.deleteVersion(ref, info.version, this.clock().toISOString())) deleted.push(info.version);
    return deleted;
  }
}

const key = (ref: SecretRef) => `${ref.tenant}/${ref.namespace}/${ref.name}`;
