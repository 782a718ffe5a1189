import { hasErrorCode, type Logger, silentLogger } from '@keyledger/domain';
import type { Job, JobWorker } from '@keyledger/jobs';
import type { CryptoDataPlane } from '../cryptoDataPlane';
import type { SecretRef, SecretStore, SecretVersionKey } from './secretStore';
import { secretBinding } from './secretsService';

/**
 * Where a re-encryption job is: counting; scanning namespace `namespace` after `after`; or
 * verifying deactivated key `kid` of `kids` after `after`. `pending` is the page a step is
 * working on, saved before its writes: after a crash each of it is checked again, none is done twice.
 */
export interface ReencryptionCheckpoint {
  phase: 'count' | 'scan' | 'verify';
  namespace: number;
  after: string | null;
  pending: SecretVersionKey[] | null;
  kids: Array<{ namespace: string; kid: string }> | null;
  kid: number;
  pages: number;
  verifyRounds: number;
  /** Versions moved in this verification round: another round follows if there were any. */
  movedThisRound: number;
}

type Outcome = 'moved' | 'current' | 'gone' | 'legacy' | 'unreadable';

export interface SecretReencryptionOptions {
  store: SecretStore;
  dataPlane: Pick<CryptoDataPlane, 'rewrapDataKey' | 'rewrap' | 'activeNamespaceKid' | 'deactivatedNamespaceKids' | 'forget'>;
  pageSize?: number;
  clock?: () => Date;
  logger?: Logger;
  /** Tests only: called after a page's writes, before its checkpoint (a crash there is the hardest to resume). */
  afterPageWrites?: (pages: number) => void;
}

const MAX_VERIFY_ROUNDS = 5;
const START: ReencryptionCheckpoint = { phase: 'count', namespace: 0, after: null, pending: null, kids: null, kid: 0, pages: 0, verifyRounds: 0, movedThisRound: 0 };

/**
 * The `reencrypt-secrets` job: moves every stored secret version's data key under its
 * namespace's active key. Format-2 values move without being decrypted (each has a data key of
 * its own, which is re-wrapped); a value of the older format 1 is decrypted and encrypted again
 * inside the service, which works only if it was stored without an encryption context. A
 * version moves with a write conditional on its old key, so nothing is done twice, even by two
 * jobs. Every version visited gets its by-kid index key, so once a namespace was scanned whole
 * the index counts all of it (`markIndexed`). After the scan, each deactivated key of the
 * namespaces is searched for versions written under it meanwhile (by a process that had not
 * seen the rekey yet), which are moved and counted too.
 */
export class SecretReencryption implements JobWorker {
  private readonly pageSize: number;
  private readonly logger: Logger;

  constructor(private readonly options: SecretReencryptionOptions) {
    this.pageSize = options.pageSize ?? 25;
    this.logger = options.logger ?? silentLogger;
  }

  async step(job: Job, checkpoint: (job: Job) => Promise<boolean>): Promise<Job> {
    const at: ReencryptionCheckpoint = { ...START, ...((job.checkpoint as Partial<ReencryptionCheckpoint> | null) ?? {}) };
    if (at.phase === 'count') {
      // The hierarchy as it is now, not as this process last cached it: the rekey that started the job may be seconds old.
      this.options.dataPlane.forget(job.tenant, []);
      let total = 0;
      for (const namespace of job.namespaces) total += await this.options.store.countInNamespace({ tenant: job.tenant, namespace });
      return { ...job, total, checkpoint: { ...at, phase: 'scan' } };
    }
    return at.phase === 'scan' ? this.scan(job, at, checkpoint) : this.verify(job, at, checkpoint);
  }

  private async scan(job: Job, at: ReencryptionCheckpoint, checkpoint: (job: Job) => Promise<boolean>): Promise<Job> {
    const namespace = job.namespaces[at.namespace];
    if (namespace === undefined) return { ...job, checkpoint: { ...at, phase: 'verify', after: null, pending: null } };
    const { versions, next, outcomes } = await this.page(job, at, namespace, checkpoint, (after) =>
      this.options.store.versionsInNamespace({ tenant: job.tenant, namespace }, { after, limit: this.pageSize }),
    );
    if (next === null) await this.options.store.markIndexed({ tenant: job.tenant, namespace }, job.startedAt);
    const pages = at.pages + (versions.length > 0 ? 1 : 0);
    const scanned = next === null ? { ...at, pending: null, namespace: at.namespace + 1, after: null, pages } : { ...at, pending: null, after: next, pages };
    return this.counted(job, outcomes, scanned, 'scan');
  }

  private async verify(job: Job, at: ReencryptionCheckpoint, checkpoint: (job: Job) => Promise<boolean>): Promise<Job> {
    if (at.kids === null) {
      const kids: Array<{ namespace: string; kid: string }> = [];
      for (const namespace of job.namespaces) for (const kid of await this.options.dataPlane.deactivatedNamespaceKids(job.tenant, namespace)) kids.push({ namespace, kid });
      return { ...job, checkpoint: { ...at, kids, kid: 0, after: null, movedThisRound: 0 } };
    }
    const target = at.kids[at.kid];
    if (target === undefined) {
      const again = at.movedThisRound > 0 && at.verifyRounds + 1 < MAX_VERIFY_ROUNDS;
      if (again) return { ...job, checkpoint: { ...at, kids: null, verifyRounds: at.verifyRounds + 1 } };
      return this.finish(job);
    }
    const { versions, next, outcomes } = await this.page(job, at, target.namespace, checkpoint, (after) =>
      this.options.store.versionsUnderKid(job.tenant, target.kid, { after, limit: this.pageSize }),
    );
    const moved = outcomes.filter((outcome) => outcome === 'moved').length;
    const pages = at.pages + (versions.length > 0 ? 1 : 0);
    const base = { ...at, pending: null, pages, movedThisRound: at.movedThisRound + moved };
    return this.counted(job, outcomes, next === null ? { ...base, kid: at.kid + 1, after: null } : { ...base, after: next }, 'verify');
  }

  /**
   * One page: the versions after the cursor (or, recovering from a crash, the page that was
   * being worked on), saved as pending before anything is written, then moved one by one.
   */
  private async page(
    job: Job,
    at: ReencryptionCheckpoint,
    namespace: string,
    checkpoint: (job: Job) => Promise<boolean>,
    read: (after: string | undefined) => Promise<{ versions: SecretVersionKey[]; next: string | null }>,
  ): Promise<{ versions: SecretVersionKey[]; next: string | null; outcomes: Outcome[] }> {
    const recovering = at.pending !== null;
    let versions = at.pending ?? [];
    // Recovered, the walk goes on after the page it was working on; else after the page it reads.
    let next: string | null = versions.at(-1)?.position ?? at.after;
    if (!recovering) {
      ({ versions, next } = await read(at.after ?? undefined));
      if (versions.length > 0 && !(await checkpoint({ ...job, checkpoint: { ...at, pending: versions } }))) throw new Error('The job lease was lost.');
    }
    const outcomes: Outcome[] = [];
    for (const version of versions) outcomes.push(await this.move(job, { tenant: job.tenant, namespace, name: version.name }, version.version, recovering));
    if (versions.length > 0) this.options.afterPageWrites?.(at.pages + 1);
    return { versions, next, outcomes };
  }

  private finish(job: Job): Job {
    const stuck = (job.details['legacy'] ?? 0) + (job.details['unreadable'] ?? 0);
    const finished = { ...job, total: job.done, checkpoint: null, finishedAt: (this.options.clock?.() ?? new Date()).toISOString() };
    if (stuck === 0) return { ...finished, state: 'succeeded' };
    const error =
      `${job.details['legacy'] ?? 0} secret version(s) in envelope format 1 with an encryption context cannot be re-encrypted without it ` +
      `(write a new version of each), and ${job.details['unreadable'] ?? 0} could not be read (their key is destroyed).`;
    return { ...finished, state: 'failed', error };
  }

  /**
   * Adds a page's outcomes to the job's counters. The scan counts every version it visits (the
   * total counted them all); verification adds only the versions it moved, to done and to the
   * total alike (the others were counted by the scan, or are the index catching up).
   */
  private counted(job: Job, outcomes: Outcome[], checkpoint: ReencryptionCheckpoint, phase: 'scan' | 'verify'): Job {
    const counted = phase === 'scan' ? outcomes : outcomes.filter((outcome) => outcome === 'moved');
    const details = { ...job.details };
    for (const outcome of counted) details[outcome] = (details[outcome] ?? 0) + 1;
    const done = job.done + counted.length;
    const total = phase === 'scan' ? Math.max(job.total, done) : job.total + counted.length;
    return { ...job, done, total, details, checkpoint };
  }

  private async move(job: Job, ref: SecretRef, version: number, recovering: boolean): Promise<Outcome> {
    const { store, dataPlane } = this.options;
    const stored = await store.get(ref, version);
    if (!stored) return 'gone';
    const active = await dataPlane.activeNamespaceKid(ref.tenant, ref.namespace);
    // A version that stays where it is gets its by-kid index key now; a move writes the new one.
    const stays = async (outcome: Outcome) => {
      if (!stored.indexed) await store.index(ref, version, stored.kid);
      return outcome;
    };
    if (stored.kid === active) {
      return recovering && (await store.movedBy(ref, version)) === job.id ? 'moved' : stays('current');
    }
    let moved;
    try {
      moved =
        (await dataPlane.rewrapDataKey(ref.tenant, ref.namespace, stored.ciphertext)) ??
        (await dataPlane.rewrap({
          tenant: ref.tenant,
          namespace: ref.namespace,
          ciphertext: stored.ciphertext,
          binding: secretBinding(ref.name, version),
          dataKey: 'own',
          countUse: false,
          cacheDataKey: false,
        }));
    } catch (error) {
      if (!hasErrorCode(error, 'undecryptable') && !hasErrorCode(error, 'illegal_key_state')) throw error;
      // It stays where it is, and the index counts it under its key: the key is not retired.
      return stays(hasErrorCode(error, 'undecryptable') ? 'legacy' : 'unreadable');
    }
    if (await store.moveDataKey(ref, version, { fromKid: stored.kid, toKid: moved.kid, ciphertext: moved.ciphertext, movedBy: job.id })) return 'moved';
    this.logger.info('secret version changed while being re-encrypted', { tenant: ref.tenant, namespace: ref.namespace, version });
    return (await store.get(ref, version)) ? 'current' : 'gone';
  }
}
