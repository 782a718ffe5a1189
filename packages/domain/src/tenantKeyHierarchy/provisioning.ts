import type { AddNamespaceKeys, ProvisionTenant, Rekey } from '../commands';
import { IllegalKeyStateError, ValidationError } from '../errors';
import type { KeyHierarchyEvent } from '../events';
import { TENANT_PATTERN } from '../keys';
import { assertFreshKids, assertNamespaces, namespaceKeyCreated, stateChanged } from './guards';
import { activeTenantMasterKey, assertProvisioned, liveNamespaceKeys, type TenantKeyHierarchy } from './state';

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
    { type: 'TenantProvisioned', data: { tenant, rootKey, catalogVersion: 1, occurredAt: now } },
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
 * namespace, the previous namespace keys deactivated, every live namespace key re-wrapped under
 * the new TMK, and the previous TMK destroyed. Nothing is re-encrypted. The events name only
 * what changes state; the re-wrap says "everything under the old TMK", which the state knows.
 */
export function rekey(command: Rekey, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { tmk, namespaceKeys, now } = command.data;
  const previousTmk = activeTenantMasterKey(state);
  assertNamespaces(namespaceKeys);
  const activeNamespaces = Object.keys(state.activeNamespaceKeys).sort();
  const given = namespaceKeys.map((key) => key.namespace).sort();
  if (activeNamespaces.join('\0') !== given.join('\0')) {
    throw new ValidationError(
      `A rekey must rotate exactly the active namespaces (${activeNamespaces.join(', ')}); got ${given.join(', ') || 'none'}.`,
    );
  }
  assertFreshKids(state, [tmk.kid, ...namespaceKeys.map((key) => key.kid)]);

  const previousNamespaceKeys = liveNamespaceKeys(state);
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
    ...previousNamespaceKeys.filter((key) => key.state === 'active').map((key) => stateChanged(key, 'deactivated', 'rekey', now)),
  ];
  if (previousNamespaceKeys.length > 0) {
    events.push({ type: 'KeysRewrapped', data: { fromParentKid: previousTmk.kid, toParentKid: tmk.kid, cause: 'rekey', occurredAt: now } });
  }
  events.push(stateChanged(previousTmk, 'destroyed', 'rekey', now));
  events.push({ type: 'TenantRekeyed', data: { previousTmkKid: previousTmk.kid, tmkKid: tmk.kid, occurredAt: now } });
  return events;
}
