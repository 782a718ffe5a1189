import type { CreateCustomerRootKey, DeleteCustomerRootKey, ImportCustomerRootKey, IssueWrappingKey, RecordCustomerKeyMaterialDeleted } from '../commands';
import { IllegalKeyStateError, NotFoundError, ValidationError } from '../errors';
import type { KeyHierarchyEvent, WrappingKeyRecord } from '../events';
import type { KeyRecord } from '../keys';
import { assertFreshKids, stateChanged } from './guards';
import { activeTenantMasterKey, assertProvisioned, environmentRootKid, findKey, type CustomerKeyState, type TenantKeyHierarchy } from './state';

// ---- Bring your own key (DESIGN.md "BYOK") ----

/** A second CPRK is refused while one is pending or in use. */
export function assertCanCreateCustomerKey(state: TenantKeyHierarchy): void {
  assertProvisioned(state);
  const live = state.keys.find(
    (key) => key.type === 'customer-provided-root-key' && (key.state === 'pre-activation' || key.state === 'active'),
  );
  if (live) {
    throw new IllegalKeyStateError(
      `The tenant already has customer-provided root key ${live.kid} in state '${live.state}'; delete it before creating another.`,
    );
  }
}

/** The live CPRK with this id; any other live key id is refused with what it is. */
export function customerKeyOf(state: TenantKeyHierarchy, kid: string): { key: KeyRecord; customer: CustomerKeyState } {
  assertProvisioned(state);
  const key = findKey(state, kid);
  if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
  const customer = state.customerKeys[kid];
  if (key.type !== 'customer-provided-root-key' || !customer) {
    throw new ValidationError(`Key ${kid} is a ${key.type}; only a customer-provided-root-key can be used for this.`);
  }
  return { key, customer };
}

export function assertCanIssueWrappingKey(state: TenantKeyHierarchy, kid: string): void {
  const { key } = customerKeyOf(state, kid);
  if (key.state !== 'pre-activation') {
    throw new IllegalKeyStateError(
      `Key ${kid} is '${key.state}'; wrapping keys are issued only for a customer-provided root key in 'pre-activation'.`,
    );
  }
}

/** Whether `kid` is active with material imported from exactly this wrapped key: a retried import. */
export function isRepeatedImport(state: TenantKeyHierarchy, kid: string, wrappedKeyDigest: string): boolean {
  const key = findKey(state, kid);
  const customer = state.status === 'provisioned' ? state.customerKeys[kid] : undefined;
  return key?.state === 'active' && customer?.importedDigest === wrappedKeyDigest;
}

/**
 * The wrapping key an import into `kid` must use, or why there is none: the key is not awaiting
 * material, no wrapping key was issued, or it expired (each valid for one import, 24 hours).
 */
export function importableWrappingKey(state: TenantKeyHierarchy, kid: string, now: string): WrappingKeyRecord {
  const { key, customer } = customerKeyOf(state, kid);
  if (key.state === 'active' && customer.importedWith) {
    throw new IllegalKeyStateError(
      `Key ${kid} is already active: its material was imported with wrapping key ${customer.importedWith}, which is now used up. A customer-provided root key takes one import.`,
    );
  }
  if (key.state !== 'pre-activation') {
    throw new IllegalKeyStateError(`Key ${kid} is '${key.state}'; only a 'pre-activation' key can import material.`);
  }
  if (!customer.wrappingKey) {
    throw new IllegalKeyStateError(
      `Key ${kid} has no wrapping key: request one with POST /api/v2/keys/encryption/${kid}/wrapping-key, then wrap the key material with it.`,
    );
  }
  if (Date.parse(customer.wrappingKey.expiresAt) <= Date.parse(now)) {
    throw new IllegalKeyStateError(
      `The wrapping key of ${kid} expired at ${customer.wrappingKey.expiresAt}; request a new one and wrap the key material again.`,
    );
  }
  return customer.wrappingKey;
}

export function createCustomerRootKey(command: CreateCustomerRootKey, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertCanCreateCustomerKey(state);
  const { kid, now } = command.data;
  assertFreshKids(state, [kid]);
  return [
    {
      type: 'KeyCreated',
      data: {
        kid,
        keyType: 'customer-provided-root-key',
        state: 'pre-activation',
        parentKid: null,
        namespace: null,
        fingerprint: null,
        cause: 'cprk-create',
        occurredAt: now,
      },
    },
  ];
}

export function issueWrappingKey(command: IssueWrappingKey, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  const { kid, wrappingKey, now } = command.data;
  assertCanIssueWrappingKey(state, kid);
  return [{ type: 'WrappingKeyIssued', data: { kid, wrappingKey, occurredAt: now } }];
}

/** Activates the CPRK and moves the active TMK under it, in one commit. */
export function importCustomerRootKey(command: ImportCustomerRootKey, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  const { kid, wrappingKeyId, now, wrappedKeyDigest } = command.data;
  const wrappingKey = importableWrappingKey(state, kid, now);
  assertProvisioned(state);
  if (wrappingKey.wrappingKeyId !== wrappingKeyId) {
    throw new IllegalKeyStateError(`Wrapping key ${wrappingKeyId} is no longer the current wrapping key of ${kid}.`);
  }
  const { key } = customerKeyOf(state, kid);
  activeTenantMasterKey(state);
  return [
    { type: 'CustomerRootKeyImported', data: { kid, wrappingKeyId, occurredAt: now, ...(wrappedKeyDigest ? { wrappedKeyDigest } : {}) } },
    stateChanged(key, 'active', 'cprk-import', now),
    { type: 'KeysRewrapped', data: { fromParentKid: state.rootKid, toParentKid: kid, cause: 'cprk-import', occurredAt: now } },
    { type: 'TenantRootKeyChanged', data: { fromRootKid: state.rootKid, toRootKid: kid, cause: 'cprk-import', occurredAt: now } },
  ];
}

/**
 * Deleting an active CPRK moves the TMK back under the ERK (staged before the commit), then
 * destroys the CPRK; a pre-activation one is simply destroyed.
 */
export function deleteCustomerRootKey(command: DeleteCustomerRootKey, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  const { kid, now } = command.data;
  const { key } = customerKeyOf(state, kid);
  assertProvisioned(state);
  const events: KeyHierarchyEvent[] = [];
  if (state.rootKid === kid) {
    const erk = environmentRootKid(state);
    activeTenantMasterKey(state);
    events.push(
      { type: 'KeysRewrapped', data: { fromParentKid: kid, toParentKid: erk, cause: 'cprk-delete', occurredAt: now } },
      { type: 'TenantRootKeyChanged', data: { fromRootKid: kid, toRootKid: erk, cause: 'cprk-delete', occurredAt: now } },
    );
  }
  events.push(stateChanged(key, 'destroyed', 'cprk-delete', now));
  return events;
}

export function recordCustomerKeyMaterialDeleted(command: RecordCustomerKeyMaterialDeleted, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { kid, now } = command.data;
  if (findKey(state, kid)) throw new IllegalKeyStateError(`Key ${kid} is not destroyed.`);
  if (!state.customerKeysAwaitingDeletion.includes(kid)) return [];
  return [{ type: 'CustomerKeyMaterialDeleted', data: { kid, occurredAt: now } }];
}

/** Destroyed CPRKs whose material the root key store may still hold (a crash after the commit). */
export function customerKeysAwaitingDeletion(state: TenantKeyHierarchy): string[] {
  return state.status === 'provisioned' ? [...state.customerKeysAwaitingDeletion] : [];
}
