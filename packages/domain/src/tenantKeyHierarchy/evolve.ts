import type { KeyHierarchyEvent, KeyStateChanged } from '../events';
import type { KeyRecord } from '../keys';
import { evolveDestruction } from './destruction';
import type { ProvisionedTenant, TenantKeyHierarchy } from './state';

function updateKey(state: ProvisionedTenant, kid: string, change: (key: KeyRecord) => KeyRecord): KeyRecord[] {
  return state.keys.map((key) => (key.kid === kid ? change(key) : key));
}

/** A key leaves the decision state when it is destroyed: only what the catalog needs stays behind. */
function destroy(state: ProvisionedTenant, kid: string): ProvisionedTenant {
  const next: ProvisionedTenant = { ...state, keys: state.keys.filter((key) => key.kid !== kid) };
  if (state.activeTmkKid === kid) next.activeTmkKid = '';
  if (state.customerKeys[kid]) {
    const { [kid]: _destroyed, ...live } = state.customerKeys;
    next.customerKeys = live;
    next.customerKeysAwaitingDeletion = [...state.customerKeysAwaitingDeletion, kid];
  }
  return next;
}

function changeState(state: ProvisionedTenant, { kid, to, occurredAt }: KeyStateChanged['data']): ProvisionedTenant {
  if (!state.keys.some((key) => key.kid === kid)) return state;
  let next: ProvisionedTenant = {
    ...state,
    keys: updateKey(state, kid, (key) => ({
      ...key,
      state: to,
      updatedAt: occurredAt,
      ...(to === 'deactivated' ? { deactivatedAt: occurredAt } : {}),
      // The listed public key is that of a key awaiting its material.
      ...(to !== 'pre-activation' && key.publicKey ? { publicKey: null } : {}),
    })),
  };
  const namespace = Object.entries(state.activeNamespaceKeys).find(([, active]) => active === kid)?.[0];
  if (namespace !== undefined && to !== 'active') {
    const { [namespace]: _dropped, ...rest } = state.activeNamespaceKeys;
    next.activeNamespaceKeys = rest;
  }
  if (state.activeTmkKid === kid && to !== 'active') next.activeTmkKid = '';
  if (to === 'destroyed') next = destroy(next, kid);
  return next;
}

/** Applies one event. Pure and total: an event that does not fit is ignored, never thrown. */
export function evolve(state: TenantKeyHierarchy, event: KeyHierarchyEvent): TenantKeyHierarchy {
  if (event.type === 'TenantProvisioned') {
    if (state.status === 'provisioned') return state;
    const { tenant, rootKey, catalogVersion } = event.data;
    return {
      status: 'provisioned',
      tenant,
      rootKid: rootKey.kid,
      erkKid: rootKey.kid,
      activeTmkKid: '',
      activeNamespaceKeys: {},
      keyCount: 1,
      rekeyCount: 0,
      customerKeys: {},
      customerKeysAwaitingDeletion: [],
      retention: { autoRetireAfter: null },
      catalogComplete: catalogVersion === 1,
      storageVersion: catalogVersion ?? 0,
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
          seq: 0,
          deactivatedAt: null,
        },
      ],
    };
  }
  if (state.status !== 'provisioned') return state;
  switch (event.type) {
    case 'KeyCreated': {
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
        seq: state.keyCount,
        deactivatedAt: null,
      };
      const next: ProvisionedTenant = { ...state, keys: [...state.keys, key], keyCount: state.keyCount + 1 };
      if (d.keyType === 'customer-provided-root-key') {
        next.customerKeys = { ...state.customerKeys, [d.kid]: { wrappingKey: null, importedWith: null } };
      }
      if (d.state === 'active' && d.keyType === 'tenant-master-key') next.activeTmkKid = d.kid;
      if (d.state === 'active' && d.keyType === 'tenant-encryption-key' && d.namespace !== null) {
        next.activeNamespaceKeys = { ...state.activeNamespaceKeys, [d.namespace]: d.kid };
      }
      return next;
    }
    case 'KeyStateChanged':
      return changeState(state, event.data);
    case 'KeysRewrapped': {
      const { kids, fromParentKid, toParentKid, occurredAt } = event.data;
      const listed = kids ? new Set(kids) : undefined;
      const moves = (key: KeyRecord) => (listed ? listed.has(key.kid) : key.parentKid === fromParentKid);
      return {
        ...state,
        keys: state.keys.map((key) => (moves(key) ? { ...key, parentKid: toParentKid, updatedAt: occurredAt } : key)),
      };
    }
    case 'TenantRekeyed':
      return { ...state, rekeyCount: state.rekeyCount + 1 };
    case 'WrappingKeyIssued': {
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
      const { kid, wrappingKeyId, wrappedKeyDigest } = event.data;
      const customer = state.customerKeys[kid];
      if (!customer) return state;
      // The listed public key goes with the state change to active (KeyStateChanged).
      const imported = { ...customer, importedWith: wrappingKeyId, ...(wrappedKeyDigest ? { importedDigest: wrappedKeyDigest } : {}) };
      return { ...state, customerKeys: { ...state.customerKeys, [kid]: imported } };
    }
    case 'TenantRootKeyChanged':
      return { ...state, rootKid: event.data.toRootKid };
    case 'CustomerKeyMaterialDeleted':
      return { ...state, customerKeysAwaitingDeletion: state.customerKeysAwaitingDeletion.filter((kid) => kid !== event.data.kid) };
    case 'RetentionPolicyChanged':
      return { ...state, retention: { autoRetireAfter: event.data.autoRetireAfter } };
    case 'KeyCatalogBackfilled':
      return { ...state, catalogComplete: true };
    case 'DestructionRequested':
    case 'DestructionApproved':
    case 'DestructionFinished':
      return evolveDestruction(state, event);
    case 'TenantShredded':
      // Its keys were destroyed by the same commit; the tenant falls back to nothing but is never provisioned again.
      return { ...state, rootKid: state.erkKid, activeTmkKid: '', activeNamespaceKeys: {}, shredded: { at: event.data.occurredAt, requestId: event.data.requestId } };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}
