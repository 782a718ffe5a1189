import { zeroize, type EncryptionContext } from '@keyledger/crypto';
import { BoundedCache, DestructionPendingError, IntegrityError, liveDestructionRequests, requestBlocking, silentLogger, type KeyRecord, type Logger, type ProvisionedTenant } from '@keyledger/domain';
import { StreamVersionConflictError, type Loaded } from '@keyledger/event-store';
import { NamespaceNotFoundError } from '../errors';
import type { DataPlaneLimits } from '../limits';
import { bindingBytes } from './dataKeys';
import type { NamespaceKeySource } from './namespaceKeySource';

export interface TenantView {
  loaded: Loaded<ProvisionedTenant>;
  loadedAt: number;
  /** encode({tenant, namespace}) per namespace: the binding part of every body's AAD, encoded once. */
  bindings: Map<string, Buffer>;
}

const RETIRED_CACHE_ENTRIES = 10_000;

export const namespaceKeyId = (tenant: string, kid: string) => `${tenant}\0${kid}`;

/**
 * The data plane's view of the hierarchy: each tenant's loaded state (for `keyStateTtlMs`) and
 * its unwrapped namespace keys, loaded once for all concurrent callers. A cache value is used
 * synchronously after `get`, never across an `await`: leaving the cache zeroes it.
 */
export class KeyCache {
  readonly tenants: BoundedCache<TenantView>;
  readonly namespaceKeys: BoundedCache<Buffer>;
  private readonly tenantLoads = new Map<string, Promise<void>>();
  private readonly namespaceKeyLoads = new Map<string, Promise<void>>();
  /** Destroyed keys, as the catalog has them: destroyed is final, so they are remembered. */
  private readonly retired: BoundedCache<KeyRecord | null>;
  /**
   * Each tenant's live keys at its last read, to tell which keys a new read no longer has. Kept
   * as long as anything cached from that read can live (a view, then a key or data key taken
   * during it), so a key that leaves is always noticed.
   */
  private readonly lastLive: BoundedCache<ReadonlySet<string>>;

  constructor(
    private readonly source: NamespaceKeySource,
    private readonly limits: DataPlaneLimits,
    private readonly now: () => number,
    private readonly logger: Logger = silentLogger,
    /** When a read of a tenant's hierarchy no longer has keys the previous one had: for caches of things derived from them. */
    private readonly onKeysGone?: (tenant: string, gone: ReadonlySet<string>) => void,
  ) {
    this.tenants = new BoundedCache({ maxEntries: limits.maxTenants, ttlMs: limits.keyStateTtlMs, now });
    this.namespaceKeys = new BoundedCache({ maxEntries: limits.maxNamespaceKeys, ttlMs: limits.namespaceKeyTtlMs, now, onEvict: (key) => zeroize(key) });
    this.retired = new BoundedCache({ maxEntries: RETIRED_CACHE_ENTRIES, ttlMs: limits.unknownKeyRefreshMs, now });
    const derivedTtlMs = limits.keyStateTtlMs + Math.max(limits.namespaceKeyTtlMs, limits.dataKeyMaxAgeMs);
    this.lastLive = new BoundedCache({ maxEntries: limits.maxTenants, ttlMs: derivedTtlMs, now });
  }

  /** Reads the tenant's hierarchy (one read for all concurrent callers) and caches it. */
  loadTenant(tenant: string, force = false): Promise<void> {
    const pending = this.tenantLoads.get(tenant);
    if (pending) return pending;
    if (!force && this.tenants.get(tenant)) return Promise.resolve();
    const load = (async () => {
      try {
        const loaded = await this.source.openTenant(tenant);
        this.tenants.set(tenant, { loaded, loadedAt: this.now(), bindings: new Map() });
        // Keys destroyed since the last read: their unwrapped bytes leave memory now.
        const live = new Set(loaded.state.keys.map((key) => key.kid));
        const gone = new Set([...(this.lastLive.get(tenant) ?? [])].filter((kid) => !live.has(kid)));
        this.lastLive.set(tenant, live);
        if (gone.size > 0) {
          for (const kid of gone) this.namespaceKeys.delete(namespaceKeyId(tenant, kid));
          this.onKeysGone?.(tenant, gone);
        }
      } finally {
        this.tenantLoads.delete(tenant);
      }
    })();
    this.tenantLoads.set(tenant, load);
    return load;
  }

  /**
   * Unwraps one namespace key (one root key store call, for the TMK). A hierarchy that moved on
   * since it was cached (a rekey re-wrapped the key under a new TMK) is read again first.
   */
  loadNamespaceKey(tenant: string, kid: string): Promise<void> {
    const id = namespaceKeyId(tenant, kid);
    const pending = this.namespaceKeyLoads.get(id);
    if (pending) return pending;
    const load = (async () => {
      try {
        for (let attempt = 0; ; attempt += 1) {
          await this.loadTenant(tenant, attempt > 0);
          const view = this.tenants.get(tenant);
          if (!view) {
            if (attempt >= 2) throw new Error("The tenant's hierarchy kept leaving the cache; try again.");
            continue;
          }
          try {
            const keys = await this.source.unwrapNamespaceKeys(tenant, view.loaded, [kid]);
            for (const [unwrappedKid, key] of keys) this.namespaceKeys.set(namespaceKeyId(tenant, unwrappedKid), key);
            this.logger.info('namespace key unwrapped into the cache', { tenant, kid });
            return;
          } catch (error) {
            const stale = error instanceof StreamVersionConflictError || error instanceof IntegrityError;
            if (!stale || attempt >= 2) throw error;
          }
        }
      } finally {
        this.namespaceKeyLoads.delete(id);
      }
    })();
    this.namespaceKeyLoads.set(id, load);
    return load;
  }

  /** What became of a key the live hierarchy does not have: destroyed (remembered for good), or never known (remembered briefly). */
  async retiredKey(tenant: string, kid: string): Promise<KeyRecord | undefined> {
    const id = namespaceKeyId(tenant, kid);
    const known = this.retired.get(id);
    if (known !== undefined) return known ?? undefined;
    const record = await this.source.retiredKey(tenant, kid);
    this.retired.set(id, record ?? null, record ? Number.MAX_SAFE_INTEGER : undefined);
    return record;
  }

  /** A committed change of the hierarchy (this process's): read it again at the next call, and drop destroyed keys now. */
  forget(tenant: string, destroyed: readonly string[]): void {
    this.tenants.delete(tenant);
    for (const kid of destroyed) {
      this.namespaceKeys.delete(namespaceKeyId(tenant, kid));
      this.retired.delete(namespaceKeyId(tenant, kid));
    }
  }

  clear(): void {
    this.namespaceKeys.clear();
    this.tenants.clear();
    this.retired.clear();
    this.lastLive.clear();
  }
}

export function activeNamespaceKid(state: ProvisionedTenant, namespace: string): string {
  const kid = state.activeNamespaceKeys[namespace];
  if (!kid) {
    const known = Object.keys(state.activeNamespaceKeys).sort().join(', ');
    throw new NamespaceNotFoundError(`The namespace '${namespace}' does not exist; this tenant's namespaces are: ${known}.`);
  }
  return kid;
}

/** The encoded binding of a body's AAD: tenant and namespace (encoded once per hierarchy read), plus any extra entries. */
export function viewBinding(view: TenantView, namespace: string, extra?: EncryptionContext): Buffer {
  if (extra) return bindingBytes(view.loaded.state.tenant, namespace, extra);
  let binding = view.bindings.get(namespace);
  if (!binding) {
    binding = bindingBytes(view.loaded.state.tenant, namespace);
    view.bindings.set(namespace, binding);
  }
  return binding;
}

/** Refuses a key that a live retirement or shred names (409 destruction_pending, naming the request). */
export function refusePending(view: TenantView, kid: string): void {
  const pending = requestBlocking(liveDestructionRequests(view.loaded.state), kid);
  if (pending) throw new DestructionPendingError(kid, pending.id);
}
