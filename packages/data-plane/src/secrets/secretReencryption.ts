import { hasErrorCode, type Logger, silentLogger } from '@keyledger/domain';
import type { Job, JobWorker } from '@keyledger/jobs';
import type { CryptoDataPlane } from '../cryptoDataPlane';
import type { SecretRef, SecretStore, SecretVersionKey } from './secretStore';
import { secretBinding } from './secretsService';

/** Where a re-encryption job is: counting, scanning namespace `namespace` after `after`, or verifying. */
export interface ReencryptionCheckpoint {
  phase: 'count' | 'scan' | 'verify';
  namespace: number;
  after: string | null;
  /** The page a step is working on, saved before its writes: after a crash each is checked again, none is done twice. */
  pending: SecretVersionKey[] | null;
  pages: number;
  verifyRounds: number;
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

/**
 * The `reencrypt-secrets` job: moves every stored secret version's data key under its
 * namespace's active key. Format-2 values move without being decrypted (their data key is
 * re-wrapped); a value of the older format 1 is decrypted and encrypted again inside the
 * service, which works only if it was stored without an encryption context. A version is
 * moved with a write conditional on its old key, so nothing is done twice, even by two jobs.
 * After the scan, each deactivated key of the namespaces is checked once more for versions
 * written under it meanwhile (a process that had not seen the rekey yet).
 */
export class SecretReencryption implements JobWorker {
  private readonly pageSize: number;
  private readonly logger: Logger;

  constructor(private readonly options: SecretReencryptionOptions) {
    this.pageSize = options.pageSize ?? 25;
    this.logger = options.logger ?? silentLogger;
  }

  async step(job: Job, checkpoint: (job: Job) => Promise<boolean>): Promise<Job> {
    const at = (job.checkpoint as ReencryptionCheckpoint | null) ?? { phase: 'count', namespace: 0, after: null, pending: null, pages: 0, verifyRounds: 0 };
    if (at.phase === 'count') {
      // The hierarchy as it is now, not as this process last cached it: the rekey that started the job may be seconds old.
      this.options.dataPlane.forget(job.tenant, []);
      let total = 0;
      for (const namespace of job.namespaces) total += await this.options.store.countInNamespace({ tenant: job.tenant, namespace });
      return { ...job, total, checkpoint: { ...at, phase: 'scan' } };
    }
    if (at.phase === 'scan') return this.scan(job, at, checkpoint);
    return this.verify(job, at);
  }

  private async scan(job: Job, at: ReencryptionCheckpoint, checkpoint: (job: Job) => Promise<boolean>): Promise<Job> {
    const namespace = job.namespaces[at.namespace];
    if (namespace === undefined) return { ...job, checkpoint: { ...at, phase: 'verify', pending: null } };
    const recovering = at.pending !== null;
    let versions = at.pending ?? [];
    let next: string | null = at.after;
    if (!recovering) {
      const page = await this.options.store.versionsInNamespace({ tenant: job.tenant, namespace }, { after: at.after ?? undefined, limit: this.pageSize });
      versions = page.versions;
      next = page.next;
      if (versions.length > 0 && !(await checkpoint({ ...job, checkpoint: { ...at, pending: versions } }))) throw new Error('The job lease was lost.');
    }
    const outcomes: Outcome[] = [];
    for (const version of versions) outcomes.push(await this.move(job, { tenant: job.tenant, namespace, name: version.name }, version.version, recovering));
    // `pages` counts the pages that held versions.
    const pages = at.pages + (versions.length > 0 ? 1 : 0);
    if (versions.length > 0) this.options.afterPageWrites?.(pages);
    // Recovered, the scan goes on after the page it was working on; else after the page it read.
    const scanned: ReencryptionCheckpoint = recovering
      ? { ...at, pending: null, after: versions.at(-1)?.position ?? at.after, pages }
      : next === null
        ? { ...at, pending: null, namespace: at.namespace + 1, after: null, pages }
        : { ...at, pending: null, after: next, pages };
    return this.counted(job, outcomes, scanned);
  }

  private async verify(job: Job, at: ReencryptionCheckpoint): Promise<Job> {
    const outcomes: Outcome[] = [];
    if (at.verifyRounds < MAX_VERIFY_ROUNDS) {
      for (const namespace of job.namespaces) {
        for (const kid of await this.options.dataPlane.deactivatedNamespaceKids(job.tenant, namespace)) {
          for (const version of await this.options.store.versionsUnderKid(job.tenant, kid, this.pageSize)) {
            outcomes.push(await this.move(job, { tenant: job.tenant, namespace, name: version.name }, version.version, false));
          }
        }
      }
    }
    const next = this.counted(job, outcomes, { ...at, verifyRounds: at.verifyRounds + 1 }, outcomes.length);
    const moving = outcomes.some((outcome) => outcome === 'moved');
    if (moving && at.verifyRounds + 1 < MAX_VERIFY_ROUNDS) return next;
    return this.finish(next);
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

  /** Adds a step's outcomes to the job's counters (`extra` items join the total: found in verification). */
  private counted(job: Job, outcomes: Outcome[], checkpoint: ReencryptionCheckpoint, extra = 0): Job {
    const details = { ...job.details };
    for (const outcome of outcomes) details[outcome] = (details[outcome] ?? 0) + 1;
    const done = job.done + outcomes.length;
    return { ...job, done, total: Math.max(job.total + extra, done), details, checkpoint };
  }

  private async move(job: Job, ref: SecretRef, version: number, recovering: boolean): Promise<Outcome> {
    const { store, dataPlane } = this.options;
    const stored = await store.get(ref, version);
    if (!stored) return 'gone';
    const active = await dataPlane.activeNamespaceKid(ref.tenant, ref.namespace);
    if (stored.kid === active) return recovering && (await store.movedBy(ref, version)) === job.id ? 'moved' : 'current';
    let moved;
    try {
      moved =
        (await dataPlane.rewrapDataKey(ref.tenant, ref.namespace, stored.ciphertext)) ??
        (await dataPlane.rewrap({ tenant: ref.tenant, namespace: ref.namespace, ciphertext: stored.ciphertext, binding: secretBinding(ref.name, version) }));
    } catch (error) {
      if (hasErrorCode(error, 'undecryptable')) return 'legacy';
      if (hasErrorCode(error, 'illegal_key_state')) return 'unreadable';
      throw error;
    }
    if (await store.moveDataKey(ref, version, { fromKid: stored.kid, toKid: moved.kid, ciphertext: moved.ciphertext, movedBy: job.id })) return 'moved';
    this.logger.info('secret version changed while being re-encrypted', { tenant: ref.tenant, namespace: ref.namespace, version });
    return (await store.get(ref, version)) ? 'current' : 'gone';
  }
}
