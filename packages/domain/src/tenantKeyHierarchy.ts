import type {
  AddNamespaceKeys,
  CreateCustomerRootKey,
  DeleteCustomerRootKey,
  ImportCustomerRootKey,
  IssueWrappingKey,
  KeyHierarchyCommand,
  NewNamespaceKey,
  ProvisionTenant,
  RecordCustomerKeyMaterialDeleted,
  Rekey,
} from './commands';
import { IllegalKeyStateError, NotFoundError, ValidationError } from './errors';
import type { KeyCreated, KeyHierarchyEvent, KeyStateChanged, WrappingKeyRecord } from './events';
import { assertTransition, NAMESPACE_PATTERN, TENANT_PATTERN, type KeyRecord, type KeyState } from './keys';

/**
 * State of one tenant's key hierarchy, rebuilt from its event stream. JSON-safe so that it
 * can be snapshotted to DynamoDB as is.
 */
export type TenantKeyHierarchy =
  | { status: 'unprovisioned' }
  | {
      status: 'provisioned';
      tenant: string;
      /** The key that wraps the TMK: the environment root key, or the tenant's active CPRK. */
      rootKid: string;
      activeTmkKid: string;
      /** namespace → kid of its one active key. */
      activeNamespaceKeys: Record<string, string>;
      /** Every key in creation order, destroyed ones included (their ids stay listed). */
      keys: KeyRecord[];
      rekeyCount: number;
      /** Import state of each customer-provided root key, by kid. */
      customerKeys: Record<string, CustomerKeyState>;
    };

export interface CustomerKeyState {
  /** The one wrapping key an import may use; null before the first is issued. */
  wrappingKey: WrappingKeyRecord | null;
  /** The wrapping key the material was imported with; null until the import. */
  importedWith: string | null;
  /** True once the root key store holds nothing of the destroyed key. */
  materialDeleted: boolean;
}

export type ProvisionedTenant = Extract<TenantKeyHierarchy, { status: 'provisioned' }>;

export const initialState = (): TenantKeyHierarchy => ({ status: 'unprovisioned' });

export function findKey(state: TenantKeyHierarchy, kid: string): KeyRecord | undefined {
  return state.status === 'provisioned' ? state.keys.find((key) => key.kid === kid) : undefined;
}

function updateKey(
  state: ProvisionedTenant,
  kid: string,
  change: (key: KeyRecord) => KeyRecord,
): KeyRecord[] {
  return state.keys.map((key) => (key.kid === kid ? change(key) : key));
}

/** Applies one event. Pure and total: an event that does not fit is ignored, never thrown. */
export function evolve(state: TenantKeyHierarchy, event: KeyHierarchyEvent): TenantKeyHierarchy {
  switch (event.type) {
    case 'TenantProvisioned': {
      if (state.status === 'provisioned') return state;
      const { tenant, rootKey } = event.data;
      return {
        status: 'provisioned',
        tenant,
        rootKid: rootKey.kid,
        activeTmkKid: '',
        activeNamespaceKeys: {},
        rekeyCount: 0,
        customerKeys: {},
        keys: [
          {
            kid: rootKey.kid,
            type: 'environment-root-key',
            state: 'active',
            createdAt: rootKey.createdAt,
            updatedAt: rootKey.createdAt,
            parentKid: null,
            namespace: null,
            fingerprint: null,
          },
        ],
      };
    }
    case 'KeyCreated': {
      if (state.status !== 'provisioned') return state;
      const d = event.data;
      const key: KeyRecord = {
        kid: d.kid,
        type: d.keyType,
        state: d.state,
        createdAt: d.occurredAt,
        updatedAt: d.occurredAt,
        parentKid: d.parentKid,
        namespace: d.namespace,
        fingerprint: d.fingerprint,
        ...(d.keyType === 'customer-provided-root-key' ? { publicKey: null } : {}),
      };
      const next: ProvisionedTenant = { ...state, keys: [...state.keys, key] };
      if (d.keyType === 'customer-provided-root-key') {
        next.customerKeys = { ...state.customerKeys, [d.kid]: { wrappingKey: null, importedWith: null, materialDeleted: false } };
      }
      if (d.state === 'active' && d.keyType === 'tenant-master-key') next.activeTmkKid = d.kid;
      if (d.state === 'active' && d.keyType === 'tenant-encryption-key' && d.namespace !== null) {
        next.activeNamespaceKeys = { ...state.activeNamespaceKeys, [d.namespace]: d.kid };
      }
      return next;
    }
    case 'KeyStateChanged': {
      if (state.status !== 'provisioned') return state;
      const { kid, to, occurredAt } = event.data;
      const next: ProvisionedTenant = {
        ...state,
        keys: updateKey(state, kid, (key) => ({ ...key, state: to, updatedAt: occurredAt })),
      };
      if (state.activeTmkKid === kid && to !== 'active') next.activeTmkKid = '';
      if (to !== 'pre-activation') {
        next.keys = next.keys.map((key) => (key.kid === kid && key.publicKey ? { ...key, publicKey: null } : key));
      }
      const namespace = Object.entries(state.activeNamespaceKeys).find(([, active]) => active === kid)?.[0];
      if (namespace !== undefined && to !== 'active') {
        const { [namespace]: _dropped, ...rest } = state.activeNamespaceKeys;
        next.activeNamespaceKeys = rest;
      }
      return next;
    }
    case 'KeysRewrapped': {
      if (state.status !== 'provisioned') return state;
      const { kids, toParentKid, occurredAt } = event.data;
      const moved = new Set(kids);
      return {
        ...state,
        keys: state.keys.map((key) =>
          moved.has(key.kid) ? { ...key, parentKid: toParentKid, updatedAt: occurredAt } : key,
        ),
      };
    }
    case 'TenantRekeyed': {
      if (state.status !== 'provisioned') return state;
      return { ...state, rekeyCount: state.rekeyCount + 1 };
    }
    case 'WrappingKeyIssued': {
      if (state.status !== 'provisioned') return state;
      const { kid, wrappingKey, occurredAt } = event.data;
      const customer = state.customerKeys[kid];
      if (!customer) return state;
      return {
        ...state,
        customerKeys: { ...state.customerKeys, [kid]: { ...customer, wrappingKey } },
        keys: updateKey(state, kid, (key) => ({ ...key, publicKey: wrappingKey.publicKeyPem, updatedAt: occurredAt })),
      };
    }
    case 'CustomerRootKeyImported': {
      if (state.status !== 'provisioned') return state;
      const { kid, wrappingKeyId } = event.data;
      const customer = state.customerKeys[kid];
      if (!customer) return state;
      // The listed public key goes with the state change to active (KeyStateChanged).
      return { ...state, customerKeys: { ...state.customerKeys, [kid]: { ...customer, importedWith: wrappingKeyId } } };
    }
    case 'TenantRootKeyChanged': {
      if (state.status !== 'provisioned') return state;
      return { ...state, rootKid: event.data.toRootKid };
    }
    case 'CustomerKeyMaterialDeleted': {
      if (state.status !== 'provisioned') return state;
      const customer = state.customerKeys[event.data.kid];
      if (!customer) return state;
      return { ...state, customerKeys: { ...state.customerKeys, [event.data.kid]: { ...customer, materialDeleted: true } } };
    }
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

function assertProvisioned(state: TenantKeyHierarchy): asserts state is ProvisionedTenant {
  if (state.status !== 'provisioned') throw new NotFoundError('The tenant has no key hierarchy yet.');
}

function assertFreshKids(state: TenantKeyHierarchy, kids: string[]): void {
  const seen = new Set<string>();
  for (const kid of kids) {
    if (kid.length === 0) throw new ValidationError('A key id must not be empty.');
    if (seen.has(kid) || findKey(state, kid)) throw new ValidationError(`Key id ${kid} is already in use.`);
    seen.add(kid);
  }
}

function assertNamespaces(keys: NewNamespaceKey[]): void {
  const seen = new Set<string>();
  for (const { namespace } of keys) {
    if (!NAMESPACE_PATTERN.test(namespace)) {
      throw new ValidationError(
        `Namespace '${namespace}' is invalid: use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit.`,
      );
    }
    if (seen.has(namespace)) throw new ValidationError(`Namespace '${namespace}' is given twice.`);
    seen.add(namespace);
  }
}

function namespaceKeyCreated(
  key: NewNamespaceKey,
  parentKid: string,
  cause: KeyCreated['data']['cause'],
  now: string,
): KeyCreated {
  return {
    type: 'KeyCreated',
    data: {
      kid: key.kid,
      keyType: 'tenant-encryption-key',
      state: 'active',
      parentKid,
      namespace: key.namespace,
      fingerprint: key.fingerprint,
      cause,
      occurredAt: now,
    },
  };
}

function stateChanged(key: KeyRecord, to: KeyState, cause: KeyStateChanged['data']['cause'], now: string): KeyStateChanged {
  assertTransition(key, to);
  return {
    type: 'KeyStateChanged',
    data: { kid: key.kid, keyType: key.type, from: key.state, to, cause, occurredAt: now },
  };
}

export function provisionTenant(command: ProvisionTenant, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  if (state.status === 'provisioned') {
    throw new IllegalKeyStateError(`Tenant ${state.tenant} already has a key hierarchy.`);
  }
  const { tenant, rootKey, tmk, namespaceKeys, now } = command.data;
  if (!TENANT_PATTERN.test(tenant)) throw new ValidationError(`Tenant id '${tenant}' is invalid.`);
  if (namespaceKeys.length === 0) throw new ValidationError('At least one namespace is required.');
  assertNamespaces(namespaceKeys);
  assertFreshKids(state, [rootKey.kid, tmk.kid, ...namespaceKeys.map((key) => key.kid)]);
  return [
    { type: 'TenantProvisioned', data: { tenant, rootKey, occurredAt: now } },
    {
      type: 'KeyCreated',
      data: {
        kid: tmk.kid,
        keyType: 'tenant-master-key',
        state: 'active',
        parentKid: rootKey.kid,
        namespace: null,
        fingerprint: tmk.fingerprint,
        cause: 'provision',
        occurredAt: now,
      },
    },
    ...namespaceKeys.map((key) => namespaceKeyCreated(key, tmk.kid, 'provision', now)),
  ];
}

export function addNamespaceKeys(command: AddNamespaceKeys, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { namespaceKeys, now } = command.data;
  if (namespaceKeys.length === 0) throw new ValidationError('No namespace to add.');
  assertNamespaces(namespaceKeys);
  for (const { namespace } of namespaceKeys) {
    if (state.activeNamespaceKeys[namespace]) {
      throw new IllegalKeyStateError(`Namespace '${namespace}' already has an active key.`);
    }
  }
  assertFreshKids(state, namespaceKeys.map((key) => key.kid));
  return namespaceKeys.map((key) => namespaceKeyCreated(key, state.activeTmkKid, 'namespace-added', now));
}

/**
 * Rekey (DESIGN.md): a new TMK under the tenant's current root key, a new active key per
 * namespace, the previous namespace keys deactivated, every surviving namespace key re-wrapped
 * under the new TMK, and the previous TMK destroyed. Nothing is re-encrypted.
 */
export function rekey(command: Rekey, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { tmk, namespaceKeys, now } = command.data;
  const previousTmk = findKey(state, state.activeTmkKid);
  if (!previousTmk) throw new IllegalKeyStateError(`Tenant ${state.tenant} has no active tenant master key.`);
  assertNamespaces(namespaceKeys);
  const activeNamespaces = Object.keys(state.activeNamespaceKeys).sort();
  const given = namespaceKeys.map((key) => key.namespace).sort();
  if (activeNamespaces.join('\0') !== given.join('\0')) {
    throw new ValidationError(
      `A rekey must rotate exactly the active namespaces (${activeNamespaces.join(', ')}); got ${given.join(', ') || 'none'}.`,
    );
  }
  assertFreshKids(state, [tmk.kid, ...namespaceKeys.map((key) => key.kid)]);

  const previousNamespaceKeys = state.keys.filter(
    (key) => key.type === 'tenant-encryption-key' && key.state !== 'destroyed',
  );
  const events: KeyHierarchyEvent[] = [
    {
      type: 'KeyCreated',
      data: {
        kid: tmk.kid,
        keyType: 'tenant-master-key',
        state: 'active',
        parentKid: state.rootKid,
        namespace: null,
        fingerprint: tmk.fingerprint,
        cause: 'rekey',
        occurredAt: now,
      },
    },
    ...namespaceKeys.map((key) => namespaceKeyCreated(key, tmk.kid, 'rekey', now)),
    ...previousNamespaceKeys
      .filter((key) => key.state === 'active')
      .map((key) => stateChanged(key, 'deactivated', 'rekey', now)),
  ];
  if (previousNamespaceKeys.length > 0) {
    events.push({
      type: 'KeysRewrapped',
      data: {
        kids: previousNamespaceKeys.map((key) => key.kid),
        fromParentKid: previousTmk.kid,
        toParentKid: tmk.kid,
        cause: 'rekey',
        occurredAt: now,
      },
    });
  }
  events.push(stateChanged(previousTmk, 'destroyed', 'rekey', now));
  events.push({ type: 'TenantRekeyed', data: { previousTmkKid: previousTmk.kid, tmkKid: tmk.kid, occurredAt: now } });
  return events;
}

// ---- Bring your own key (DESIGN.md "BYOK") ----

/** The environment root key every tenant falls back to (listed first, never changes). */
export function environmentRootKid(state: ProvisionedTenant): string {
  const erk = state.keys.find((key) => key.type === 'environment-root-key');
  if (!erk) throw new IllegalKeyStateError(`Tenant ${state.tenant} has no environment root key.`);
  return erk.kid;
}

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

/** The CPRK with this id; any other key id is refused with what it is. */
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
  const { kid, wrappingKeyId, now } = command.data;
  const wrappingKey = importableWrappingKey(state, kid, now);
  assertProvisioned(state);
  if (wrappingKey.wrappingKeyId !== wrappingKeyId) {
    throw new IllegalKeyStateError(`Wrapping key ${wrappingKeyId} is no longer the current wrapping key of ${kid}.`);
  }
  const { key } = customerKeyOf(state, kid);
  const tmk = findKey(state, state.activeTmkKid);
  if (!tmk) throw new IllegalKeyStateError(`Tenant ${state.tenant} has no active tenant master key.`);
  return [
    { type: 'CustomerRootKeyImported', data: { kid, wrappingKeyId, occurredAt: now } },
    stateChanged(key, 'active', 'cprk-import', now),
    { type: 'KeysRewrapped', data: { kids: [tmk.kid], fromParentKid: state.rootKid, toParentKid: kid, cause: 'cprk-import', occurredAt: now } },
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
  if (key.state === 'destroyed') throw new IllegalKeyStateError(`Key ${kid} is already destroyed.`);
  const events: KeyHierarchyEvent[] = [];
  if (state.rootKid === kid) {
    const erk = environmentRootKid(state);
    const tmk = findKey(state, state.activeTmkKid);
    if (!tmk) throw new IllegalKeyStateError(`Tenant ${state.tenant} has no active tenant master key.`);
    events.push(
      { type: 'KeysRewrapped', data: { kids: [tmk.kid], fromParentKid: kid, toParentKid: erk, cause: 'cprk-delete', occurredAt: now } },
      { type: 'TenantRootKeyChanged', data: { fromRootKid: kid, toRootKid: erk, cause: 'cprk-delete', occurredAt: now } },
    );
  }
  events.push(stateChanged(key, 'destroyed', 'cprk-delete', now));
  return events;
}

export function recordCustomerKeyMaterialDeleted(
  command: RecordCustomerKeyMaterialDeleted,
  state: TenantKeyHierarchy,
): KeyHierarchyEvent[] {
  const { kid, now } = command.data;
  const { key, customer } = customerKeyOf(state, kid);
  if (key.state !== 'destroyed') throw new IllegalKeyStateError(`Key ${kid} is '${key.state}', not destroyed.`);
  if (customer.materialDeleted) return [];
  return [{ type: 'CustomerKeyMaterialDeleted', data: { kid, occurredAt: now } }];
}

/** Destroyed CPRKs whose material the root key store may still hold (a crash after the commit). */
export function customerKeysAwaitingDeletion(state: TenantKeyHierarchy): string[] {
  if (state.status !== 'provisioned') return [];
  return Object.entries(state.customerKeys)
    .filter(([kid, customer]) => !customer.materialDeleted && findKey(state, kid)?.state === 'destroyed')
    .map(([kid]) => kid);
}

export function decide(command: KeyHierarchyCommand, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  switch (command.type) {
    case 'ProvisionTenant':
      return provisionTenant(command, state);
    case 'AddNamespaceKeys':
      return addNamespaceKeys(command, state);
    case 'Rekey':
      return rekey(command, state);
    case 'CreateCustomerRootKey':
      return createCustomerRootKey(command, state);
    case 'IssueWrappingKey':
      return issueWrappingKey(command, state);
    case 'ImportCustomerRootKey':
      return importCustomerRootKey(command, state);
    case 'DeleteCustomerRootKey':
      return deleteCustomerRootKey(command, state);
    case 'RecordCustomerKeyMaterialDeleted':
      return recordCustomerKeyMaterialDeleted(command, state);
    default: {
      const _exhaustive: never = command;
      throw new ValidationError(`Unknown command ${(_exhaustive as { type: string }).type}.`);
    }
  }
}

export const tenantKeyHierarchyDecider = { initialState, evolve, decide };
