import { randomUUID } from 'node:crypto';
import {
  assertNotShredded,
  backoffDelay,
  keysDestroyedBy,
  silentLogger,
  sleep,
  tenantStreamId,
  type DestructionPolicy,
  type KeyHierarchyEvent,
  type Logger,
  type TenantKeyHierarchy,
} from '@keyledger/domain';
import type { Commit, Decision, Loaded } from '@keyledger/event-store';
import type { KeyCatalog } from '@keyledger/key-catalog';
import type { KeyMaterialStore } from '@keyledger/key-material';
import type { DestructionReceiptClaims } from '@keyledger/receipts';
import type { RootKeyStore } from '@keyledger/root-key-store';
import { ledgerEntries, type DestructionLedger, type DestructionLedgerEntry } from './ledger/destructionLedger';
import { supersededMaterial } from './material/wrapping';
import { sweep } from './sweep';
import { recordFinished } from './useCases/finishedRequests';
import type { TenantRepository } from './tenantRepository';

/** What depends on a namespace key, as the stores that know it report it (wired by each composition root). */
export interface KeyDependents {
  /** Live stored secret versions whose data key the key wraps. */
  secretVersions(tenant: string, kid: string): Promise<number>;
  /**
   * Whether every live secret version of the namespace is counted by `secretVersions`: always
   * for tenants that began with storage version 1; for older ones, once a re-encryption job
   * has scanned the namespace.
   */
  secretsIndexed(tenant: string, namespace: string): Promise<boolean>;
  /** Data-plane decrypts (rewraps included) under the key: the last one, and how many since it was deactivated. */
  decrypts(tenant: string, kid: string): Promise<{ lastDecryptAt: string | null; decrypts: number }>;
}

/** The claims of a destruction receipt, as the receipt signer (@keyledger/receipts) signs them. */
export type ReceiptClaims = DestructionReceiptClaims;

/** Signs receipts with the deployment's receipt key: a compact JWS (ES256). */
export interface ReceiptIssuer {
  sign(claims: ReceiptClaims): Promise<string>;
}

/** What the other stores hold of a tenant (secrets, usage counts), deleted when it is shredded. Idempotent. */
export interface TenantDataPurger {
  /** Deletes it all (`namespaces`: those the tenant had); counts of what was deleted, by kind (e.g. `secret_items`). */
  purge(tenant: string, namespaces: readonly string[]): Promise<Record<string, number>>;
}

/** What a committed change did, for caches that must follow at once (the local data plane). */
export interface HierarchyChange {
  tenant: string;
  /** Keys this change destroyed. */
  destroyed: string[];
}

export interface KeyHierarchyOptions {
  repository: TenantRepository;
  keyMaterial: KeyMaterialStore;
  rootKeyStore: RootKeyStore;
  catalog: KeyCatalog;
  dependents: KeyDependents;
  /** Namespaces every tenant gets a key for (KEYLEDGER_NAMESPACES). */
  namespaces: readonly string[];
  /** A deactivated key is retired only after this long without a decrypt (KEYLEDGER_RETIRE_QUIET_PERIOD); 0 turns the check off. */
  retireQuietPeriodMs?: number;
  /** KEYLEDGER_DESTRUCTION_*: with a waiting period or approvals, destructive calls become destruction requests. Default: act at once. */
  destructionPolicy?: DestructionPolicy;
  /**
   * A namespace key is retired no sooner than this after its deactivation, whatever the quiet
   * period: the time other processes' cached views of the hierarchy take to follow the rekey,
   * while they may still encrypt under the old key (in AWS the data plane's
   * KEYLEDGER_KEY_STATE_TTL_MS, plus a minute for requests in flight and the secrets index).
   * 0 (the default) where every data plane follows a rekey at once (the local stack).
   */
  deactivationGraceMs?: number;
  clock?: () => Date;
  newKid?: () => string;
  /**
   * Material whose key is unknown to the event log is only swept once it is older than this:
   * it may belong to a command of another process that has not committed yet.
   */
  orphanGraceMs?: number;
  logger?: Logger;
  /** Called after every commit that changed keys, before the call that made it returns. */
  onChange?: (change: HierarchyChange) => void;
  /** Signs a receipt for every executed destruction request; none: receipts stay due (and are not issued). */
  receipts?: ReceiptIssuer;
  /** The tenant's audit chain head once the entry of event `eventId` is in it (`'pending'` before), which a receipt names. */
  auditChainHead?: (tenant: string, eventId: string) => Promise<{ seq: number; hash: string } | 'pending'>;
  /** Deletes a shredded tenant's secrets and other data; none: nothing beyond the key hierarchy is deleted. */
  tenantData?: TenantDataPurger;
  /** Records every destruction apart from the tables, for restores (ledger/destructionLedger.ts); none: not recorded. */
  ledger?: DestructionLedger;
}

export type Outcome<R> = { result: R; version: number; state: TenantKeyHierarchy; commit?: Commit<KeyHierarchyEvent> };

const DEFAULT_QUIET_PERIOD_MS = 7 * 86_400_000;
/** Tries of work after a commit before the call returns; then it is retried later, in the background. */
export const FOLLOW_UP_ATTEMPTS = 3;

/** What follow-up work answers when it waits for something expected rather than failing (see afterCommit). */
export const NOT_YET = Symbol('not yet');
/** Delays of the background retries of work after a commit (the next sweep also does it). */
const DEFERRED_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

/**
 * What every use case works with: the stores, the clock and ids, and the two rules all commits
 * follow. Destroyed keys go to the catalog before the commit that destroys them (so the listing
 * never misses one), and work after a commit never fails the call (it is retried, then left to
 * the sweep and logged).
 */
export class HierarchyContext {
  readonly repository: TenantRepository;
  readonly keyMaterial: KeyMaterialStore;
  readonly rootKeyStore: RootKeyStore;
  readonly catalog: KeyCatalog;
  readonly dependents: KeyDependents;
  readonly namespaces: readonly string[];
  readonly retireQuietPeriodMs: number;
  readonly destructionPolicy: DestructionPolicy;
  readonly deactivationGraceMs: number;
  readonly clock: () => Date;
  readonly newKid: () => string;
  readonly orphanGraceMs: number;
  readonly logger: Logger;
  readonly receipts?: ReceiptIssuer;
  readonly auditChainHead?: (tenant: string, eventId: string) => Promise<{ seq: number; hash: string } | 'pending'>;
  readonly tenantData?: TenantDataPurger;
  readonly ledger?: DestructionLedger;
  /** Stream version each tenant's material was last swept at, by this process. */
  readonly sweptAt = new Map<string, number>();

  constructor(private readonly options: KeyHierarchyOptions) {
    this.repository = options.repository;
    this.keyMaterial = options.keyMaterial;
    this.rootKeyStore = options.rootKeyStore;
    this.catalog = options.catalog;
    this.dependents = options.dependents;
    this.namespaces = options.namespaces;
    this.retireQuietPeriodMs = options.retireQuietPeriodMs ?? DEFAULT_QUIET_PERIOD_MS;
    this.destructionPolicy = options.destructionPolicy ?? { waitingPeriodMs: 0, approvals: 0, requestTtlMs: 30 * 86_400_000 };
    this.deactivationGraceMs = options.deactivationGraceMs ?? 0;
    this.clock = options.clock ?? (() => new Date());
    this.newKid = options.newKid ?? randomUUID;
    this.orphanGraceMs = options.orphanGraceMs ?? 15 * 60_000;
    this.logger = options.logger ?? silentLogger;
    this.receipts = options.receipts;
    this.auditChainHead = options.auditChainHead;
    this.tenantData = options.tenantData;
    this.ledger = options.ledger;
  }

  /** The same context acting on destructive calls at once, whatever the destruction policy (a restore re-applying destructions already made). */
  withImmediateDestruction(): HierarchyContext {
    return new HierarchyContext({ ...this.options, destructionPolicy: { ...this.destructionPolicy, waitingPeriodMs: 0, approvals: 0 } });
  }

  now(): string {
    return this.clock().toISOString();
  }

  load(tenant: string): Promise<Loaded<TenantKeyHierarchy> & { snapshotVersion: number }> {
    return this.repository.load(tenantStreamId(tenant));
  }

  /**
   * Load → decide → commit, retried on conflicts. Before each commit, the keys it destroys are
   * written to the catalog: written ahead, they are harmless if the commit loses (the state still
   * has the key live). After the commit, the material it superseded (destroyed keys, keys
   * re-wrapped under another parent) is deleted, retried and never failing the call
   * (`materialDeleted` says whether it finished, else the sweep does it), and caches are told
   * of the destroyed keys before the call returns.
   */
  async execute<R>(
    tenant: string,
    decide: (loaded: Loaded<TenantKeyHierarchy>) => Promise<Decision<KeyHierarchyEvent, R>>,
    options: { afterShred?: boolean } = {},
  ): Promise<Outcome<R> & { materialDeleted: boolean }> {
    let before: TenantKeyHierarchy | undefined;
    let requestsChanged = false;
    let destroyed: string[] = [];
    let ledger: DestructionLedgerEntry[] = [];
    const outcome = await this.repository.execute(tenantStreamId(tenant), async (loaded) => {
      // A shredded tenant (maybe by the commit this attempt lost to) takes nothing but its shred's follow-up.
      if (!options.afterShred) assertNotShredded(loaded.state);
      const decision = await decide(loaded);
      const destroyedKeys = keysDestroyedBy(loaded.state, decision.events);
      try {
        await this.catalog.put(tenant, destroyedKeys);
      } catch (error) {
        await decision.abandon?.();
        throw error;
      }
      before = loaded.state;
      destroyed = destroyedKeys.map((key) => key.kid);
      ledger = ledgerEntries(tenant, loaded.version + 1, decision.events);
      requestsChanged = decision.events.some((event) => event.type.startsWith('Destruction'));
      return decision;
    });
    // First, before the material goes: what a restore must destroy again (the ledger outlives the tables).
    if (ledger.length > 0 && this.ledger) {
      const entries = ledger;
      await this.afterCommit('recording the destruction in the destruction ledger', { tenant, keys: entries.length }, () => this.ledger!.record(entries));
    }
    const superseded = before ? supersededMaterial(tenant, before, outcome.state) : [];
    const materialDeleted =
      superseded.length === 0 ||
      (await this.afterCommit('deleting superseded key material', { tenant }, () => this.keyMaterial.deleteMany(superseded), () => this.sweepLatest(tenant)));
    // A destruction request opened or ended changes which keys the data plane may use.
    if (destroyed.length > 0 || requestsChanged) this.notify({ tenant, destroyed });
    const commit = outcome.commit;
    if (commit?.events.some((event) => event.type === 'DestructionFinished')) {
      await this.afterCommit('recording the finished destruction request', { tenant, version: commit.version }, () => recordFinished(this, tenant, commit));
    }
    return { ...outcome, materialDeleted };
  }

  /**
   * Work that follows a commit: retried a few times, then logged and retried in the background
   * with `later` (by default the same work), and by the next sweep. Never throws; says whether it
   * finished. Work whose list of targets may go stale (material to delete) retries later with a
   * sweep of the state as it is then, never with the list. Work that resolves to NOT_YET is
   * waiting for something expected (the audit chain, a grace period): retried the same way, but
   * logged as a wait, not as a failure.
   */
  async afterCommit(what: string, details: Record<string, unknown>, work: () => Promise<unknown>, later: () => Promise<unknown> = work): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      let waiting = false;
      try {
        waiting = (await work()) === NOT_YET;
        if (!waiting) return true;
      } catch (error) {
        if (attempt >= FOLLOW_UP_ATTEMPTS) {
          this.logger.warn(`${what} did not finish after the commit; retried in the background (and by the next sweep)`, { ...details, error: String(error) });
          this.retryLater(what, details, later, 0);
          return false;
        }
      }
      if (waiting && attempt >= FOLLOW_UP_ATTEMPTS) {
        this.logger.info(`${what} waits; retried in the background (and by the next sweep)`, details);
        this.retryLater(what, details, later, 0);
        return false;
      }
      await sleep(backoffDelay(attempt, 50, 1_000));
    }
  }

  /** Background retries of work after a commit; the timer does not keep the process alive. */
  private retryLater(what: string, details: Record<string, unknown>, work: () => Promise<unknown>, retry: number, waiting = false): void {
    const delay = DEFERRED_RETRY_DELAYS_MS[retry];
    if (delay === undefined) {
      if (waiting) this.logger.info(`${what} still waits after ${retry} background retries; the next sweep does it`, details);
      else this.logger.error(`${what} still not done after ${retry} background retries; the next sweep does it`, details);
      return;
    }
    const timer = setTimeout(() => {
      work().then(
        (result) => {
          if (result === NOT_YET) this.retryLater(what, details, work, retry + 1, true);
          else this.logger.info(`${what} done in the background, after the commit`, { ...details, retry: retry + 1 });
        },
        (error: unknown) => {
          this.logger.warn(`${what} failed again in the background`, { ...details, retry: retry + 1, error: String(error) });
          this.retryLater(what, details, work, retry + 1);
        },
      );
    }, delay);
    timer.unref?.();
  }

  /** Sweeps the tenant's material against its hierarchy as it is now. */
  async sweepLatest(tenant: string): Promise<void> {
    const { state } = await this.load(tenant);
    await sweep(this, tenant, state);
  }

  notify(change: HierarchyChange): void {
    try {
      this.options.onChange?.(change);
    } catch (error) {
      this.logger.warn('hierarchy change listener failed', { tenant: change.tenant, error: String(error) });
    }
  }
}
