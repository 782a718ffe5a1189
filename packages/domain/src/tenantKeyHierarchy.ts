import type { AddNamespaceKeys, KeyHierarchyCommand, NewNamespaceKey, ProvisionTenant, Rekey } from './commands';
import { IllegalKeyStateError, NotFoundError, ValidationError } from './errors';
import type { KeyCreated, KeyHierarchyEvent, KeyStateChanged } from './events';
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
      /** The key that wraps the TMK: the environment root key (or, later, a CPRK). */
      rootKid: string;
      activeTmkKid: string;
      /** namespace → kid of its one active key. */
      activeNamespaceKeys: Record<string, string>;
      /** Every key in creation order, destroyed ones included (their ids stay listed). */
      keys: KeyRecord[];
      rekeyCount: number;
    };

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
      };
      const next: ProvisionedTenant = { ...state, keys: [...state.keys, key] };
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

export function decide(command: KeyHierarchyCommand, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  switch (command.type) {
    case 'ProvisionTenant':
      return provisionTenant(command, state);
    case 'AddNamespaceKeys':
      return addNamespaceKeys(command, state);
    case 'Rekey':
      return rekey(command, state);
    default: {
      const _exhaustive: never = command;
      throw new ValidationError(`Unknown command ${(_exhaustive as { type: string }).type}.`);
    }
  }
}

export const tenantKeyHierarchyDecider = { initialState, evolve, decide };
