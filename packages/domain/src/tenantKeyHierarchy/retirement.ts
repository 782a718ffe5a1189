import type { ChangeRetentionPolicy, RecordKeyCatalogBackfill, RetireKey } from '../commands';
import { IllegalKeyStateError, NotFoundError } from '../errors';
import type { KeyHierarchyEvent } from '../events';
import type { KeyRecord } from '../keys';
import { evolve } from './evolve';
import { stateChanged } from './guards';
import { assertProvisioned, findKey, type TenantKeyHierarchy } from './state';

/**
 * Retires a namespace key: `deactivated` → `destroyed`. Whether anything still depends on it
 * (stored secrets, recent decrypts) is the caller's to check first; this refuses every key that
 * is not a deactivated namespace key, saying what would destroy it instead.
 */
export function retireKey(command: RetireKey, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { kid, cause, now } = command.data;
  const key = findKey(state, kid);
  if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
  assertRetirable(key);
  return [stateChanged(key, 'destroyed', cause, now)];
}

/** Only a deactivated namespace key can be retired; every other key is refused with the reason. */
export function assertRetirable(key: KeyRecord): void {
  switch (key.type) {
    case 'environment-root-key':
      throw new IllegalKeyStateError(`Key ${key.kid} is the environment root key, which the deployment shares; it cannot be destroyed through the API.`);
    case 'tenant-master-key':
      throw new IllegalKeyStateError(`Key ${key.kid} is the active tenant master key; a rekey replaces and destroys it.`);
    case 'customer-provided-root-key':
      throw new IllegalKeyStateError(`Key ${key.kid} is a customer-provided root key: it is deleted (the TMK back under the environment root key), not retired.`);
    case 'tenant-encryption-key':
      if (key.state === 'active') {
        throw new IllegalKeyStateError(`Key ${key.kid} is the active key of namespace '${key.namespace}'; rekey first, then retire it once it is deactivated.`);
      }
      if (key.state !== 'deactivated') throw new IllegalKeyStateError(`Key ${key.kid} is '${key.state}'; only a deactivated key can be retired.`);
  }
}

export function changeRetentionPolicy(command: ChangeRetentionPolicy, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { autoRetireAfter, now } = command.data;
  if (state.retention.autoRetireAfter === autoRetireAfter) return [];
  return [{ type: 'RetentionPolicyChanged', data: { autoRetireAfter, occurredAt: now } }];
}

export function recordKeyCatalogBackfill(command: RecordKeyCatalogBackfill, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  if (state.catalogComplete) return [];
  return [{ type: 'KeyCatalogBackfilled', data: { keys: command.data.keys, occurredAt: command.data.now } }];
}

/**
 * The keys these events destroy, each as the catalog keeps it: its last live record, now
 * `destroyed`. The state is the one the events apply to.
 */
export function keysDestroyedBy(state: TenantKeyHierarchy, events: readonly KeyHierarchyEvent[]): KeyRecord[] {
  const destroyed: KeyRecord[] = [];
  let current = state;
  for (const event of events) {
    if (event.type === 'KeyStateChanged' && event.data.to === 'destroyed') {
      const key = findKey(current, event.data.kid);
      if (key) {
        const { publicKey, ...record } = key;
        destroyed.push({ ...record, ...(publicKey === undefined ? {} : { publicKey: null }), state: 'destroyed', updatedAt: event.data.occurredAt });
      }
    }
    current = evolve(current, event);
  }
  return destroyed;
}
