import type { ProvisionTenant, Rekey } from '../commands';
import { IllegalKeyStateError, NotFoundError, ValidationError } from '../errors';
import type { KeyHierarchyEvent } from '../events';
import type { KeyRecord } from '../keys';
import { deciderSpecification } from '../testing/deciderSpecification';
import { evolve, initialState, keysDestroyedBy, tenantKeyHierarchyDecider, type TenantKeyHierarchy } from './index';

const spec = deciderSpecification(tenantKeyHierarchyDecider);
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-02-01T00:00:00.000Z';
const T2 = '2026-03-01T00:00:00.000Z';

const provision = (overrides: Partial<ProvisionTenant['data']> = {}): ProvisionTenant => ({
  type: 'ProvisionTenant',
  data: {
    tenant: 'acme',
    rootKey: { kid: 'erk', createdAt: '2025-12-01T00:00:00.000Z' },
    tmk: { kid: 'tmk1', fingerprint: 'fp-tmk1' },
    namespaceKeys: [
      { namespace: 'default', kid: 'ns-default-1', fingerprint: 'fp-d1' },
      { namespace: 'secrets', kid: 'ns-secrets-1', fingerprint: 'fp-s1' },
    ],
    now: T0,
    ...overrides,
  },
});

const rekeyCommand = (n: number, now: string, overrides: Partial<Rekey['data']> = {}): Rekey => ({
  type: 'Rekey',
  data: {
    tmk: { kid: `tmk${n}`, fingerprint: `fp-tmk${n}` },
    namespaceKeys: [
      { namespace: 'default', kid: `ns-default-${n}`, fingerprint: `fp-d${n}` },
      { namespace: 'secrets', kid: `ns-secrets-${n}`, fingerprint: `fp-s${n}` },
    ],
    now,
    ...overrides,
  },
});

const provisioned = (): KeyHierarchyEvent[] => tenantKeyHierarchyDecider.decide(provision(), initialState());
const afterRekeys = (count: number): KeyHierarchyEvent[] => {
  let events = provisioned();
  for (let n = 2; n < 2 + count; n += 1) {
    const state = events.reduce(evolve, initialState());
    events = [...events, ...tenantKeyHierarchyDecider.decide(rekeyCommand(n, T1), state)];
  }
  return events;
};

function activeKeys(state: TenantKeyHierarchy) {
  if (state.status !== 'provisioned') throw new Error('not provisioned');
  return state.keys.filter((key) => key.state === 'active');
}

describe('ProvisionTenant', () => {
  it('creates an active TMK under the root key and one active key per namespace under the TMK', () => {
    spec
      .given([])
      .when(provision())
      .then([
        { type: 'TenantProvisioned', data: { tenant: 'acme', rootKey: { kid: 'erk', createdAt: '2025-12-01T00:00:00.000Z' }, catalogVersion: 1, occurredAt: T0 } },
        {
          type: 'KeyCreated',
          data: { kid: 'tmk1', keyType: 'tenant-master-key', state: 'active', parentKid: 'erk', namespace: null, fingerprint: 'fp-tmk1', cause: 'provision', occurredAt: T0 },
        },
        {
          type: 'KeyCreated',
          data: { kid: 'ns-default-1', keyType: 'tenant-encryption-key', state: 'active', parentKid: 'tmk1', namespace: 'default', fingerprint: 'fp-d1', cause: 'provision', occurredAt: T0 },
        },
        {
          type: 'KeyCreated',
          data: { kid: 'ns-secrets-1', keyType: 'tenant-encryption-key', state: 'active', parentKid: 'tmk1', namespace: 'secrets', fingerprint: 'fp-s1', cause: 'provision', occurredAt: T0 },
        },
      ]);
  });

  it('lists the environment root key in the tenant hierarchy', () => {
    spec.given([]).when(provision()).thenState((state) => {
      expect(state.status).toBe('provisioned');
      if (state.status !== 'provisioned') return;
      expect(state.keys.map((key) => [key.kid, key.type, key.state, key.parentKid, key.seq])).toEqual([
        ['erk', 'environment-root-key', 'active', null, 0],
        ['tmk1', 'tenant-master-key', 'active', 'erk', 1],
        ['ns-default-1', 'tenant-encryption-key', 'active', 'tmk1', 2],
        ['ns-secrets-1', 'tenant-encryption-key', 'active', 'tmk1', 3],
      ]);
      expect(state.keyCount).toBe(4);
      expect(state.catalogComplete).toBe(true);
      expect(state.activeTmkKid).toBe('tmk1');
      expect(state.activeNamespaceKeys).toEqual({ default: 'ns-default-1', secrets: 'ns-secrets-1' });
    });
  });

  it('refuses a tenant that is already provisioned', () => {
    spec.given(provisioned()).when(provision({ tmk: { kid: 'tmk-x', fingerprint: 'f' } })).thenThrows(IllegalKeyStateError, /already has a key hierarchy/);
  });

  it.each([
    ['an invalid tenant id', { tenant: 'bad tenant!' }, /Tenant id 'bad tenant!' is invalid/],
    ['no namespace', { namespaceKeys: [] }, /At least one namespace/],
    ['an invalid namespace', { namespaceKeys: [{ namespace: 'Bad NS', kid: 'x', fingerprint: 'f' }] }, /Namespace 'Bad NS' is invalid/],
    [
      'a namespace twice',
      { namespaceKeys: [{ namespace: 'a', kid: 'x', fingerprint: 'f' }, { namespace: 'a', kid: 'y', fingerprint: 'f' }] },
      /given twice/,
    ],
    ['a reused key id', { tmk: { kid: 'ns-default-1', fingerprint: 'f' } }, /Key id ns-default-1 is already in use/],
  ] as Array<[string, Partial<ProvisionTenant['data']>, RegExp]>)('refuses %s', (_name, overrides, message) => {
    spec.given([]).when(provision(overrides)).thenThrows(ValidationError, message);
  });
});

describe('AddNamespaceKeys', () => {
  const add = (namespace: string, kid: string) => ({
    type: 'AddNamespaceKeys' as const,
    data: { namespaceKeys: [{ namespace, kid, fingerprint: `fp-${kid}` }], now: T1 },
  });

  it('adds an active key for a new namespace under the active TMK', () => {
    spec
      .given(provisioned())
      .when(add('billing', 'ns-billing-1'))
      .then([
        {
          type: 'KeyCreated',
          data: { kid: 'ns-billing-1', keyType: 'tenant-encryption-key', state: 'active', parentKid: 'tmk1', namespace: 'billing', fingerprint: 'fp-ns-billing-1', cause: 'namespace-added', occurredAt: T1 },
        },
      ]);
  });

  it('refuses an unprovisioned tenant', () => {
    spec.given([]).when(add('billing', 'k')).thenThrows(NotFoundError);
  });

  it('refuses a namespace that already has an active key (one active key per namespace)', () => {
    spec.given(provisioned()).when(add('default', 'ns-default-x')).thenThrows(IllegalKeyStateError, /already has an active key/);
  });
});

describe('Rekey', () => {
  it('creates a new TMK, rotates every namespace key, re-wraps the old ones and destroys the old TMK', () => {
    spec
      .given(provisioned())
      .when(rekeyCommand(2, T1))
      .then([
        {
          type: 'KeyCreated',
          data: { kid: 'tmk2', keyType: 'tenant-master-key', state: 'active', parentKid: 'erk', namespace: null, fingerprint: 'fp-tmk2', cause: 'rekey', occurredAt: T1 },
        },
        {
          type: 'KeyCreated',
          data: { kid: 'ns-default-2', keyType: 'tenant-encryption-key', state: 'active', parentKid: 'tmk2', namespace: 'default', fingerprint: 'fp-d2', cause: 'rekey', occurredAt: T1 },
        },
        {
          type: 'KeyCreated',
          data: { kid: 'ns-secrets-2', keyType: 'tenant-encryption-key', state: 'active', parentKid: 'tmk2', namespace: 'secrets', fingerprint: 'fp-s2', cause: 'rekey', occurredAt: T1 },
        },
        { type: 'KeyStateChanged', data: { kid: 'ns-default-1', keyType: 'tenant-encryption-key', from: 'active', to: 'deactivated', cause: 'rekey', occurredAt: T1 } },
        { type: 'KeyStateChanged', data: { kid: 'ns-secrets-1', keyType: 'tenant-encryption-key', from: 'active', to: 'deactivated', cause: 'rekey', occurredAt: T1 } },
        { type: 'KeysRewrapped', data: { fromParentKid: 'tmk1', toParentKid: 'tmk2', cause: 'rekey', occurredAt: T1 } },
        { type: 'KeyStateChanged', data: { kid: 'tmk1', keyType: 'tenant-master-key', from: 'active', to: 'destroyed', cause: 'rekey', occurredAt: T1 } },
        { type: 'TenantRekeyed', data: { previousTmkKid: 'tmk1', tmkKid: 'tmk2', occurredAt: T1 } },
      ]);
  });

  it('leaves exactly one active TMK and one active key per namespace, all under the new TMK', () => {
    spec.given(provisioned()).when(rekeyCommand(2, T1)).thenState((state) => {
      expect(activeKeys(state).map((key) => key.kid)).toEqual(['erk', 'tmk2', 'ns-default-2', 'ns-secrets-2']);
      if (state.status !== 'provisioned') return;
      const byKid = Object.fromEntries(state.keys.map((key) => [key.kid, key]));
      // The destroyed TMK has left the decision state for the key catalog; the count still has it.
      expect(byKid['tmk1']).toBeUndefined();
      expect(state.keyCount).toBe(7);
      expect(byKid['ns-default-1']).toMatchObject({ state: 'deactivated', parentKid: 'tmk2', deactivatedAt: T1 });
      expect(byKid['ns-secrets-1']).toMatchObject({ state: 'deactivated', parentKid: 'tmk2', deactivatedAt: T1 });
      expect(state.rekeyCount).toBe(1);
    });
  });

  it('re-wraps keys deactivated by earlier rekeys too, without changing their state again', () => {
    spec.given(afterRekeys(1)).when(rekeyCommand(3, T2)).thenState((state, emitted) => {
      const rewrapped = emitted.find((event) => event.type === 'KeysRewrapped');
      expect(rewrapped?.data).toEqual({ fromParentKid: 'tmk2', toParentKid: 'tmk3', cause: 'rekey', occurredAt: T2 });
      if (state.status !== 'provisioned') return;
      expect(state.keys.filter((key) => key.type === 'tenant-encryption-key').map((key) => [key.kid, key.parentKid])).toEqual([
        ['ns-default-1', 'tmk3'],
        ['ns-secrets-1', 'tmk3'],
        ['ns-default-2', 'tmk3'],
        ['ns-secrets-2', 'tmk3'],
        ['ns-default-3', 'tmk3'],
        ['ns-secrets-3', 'tmk3'],
      ]);
      const deactivations = emitted.filter((event) => event.type === 'KeyStateChanged' && event.data.to === 'deactivated');
      expect(deactivations.map((event) => (event.data as { kid: string }).kid)).toEqual(['ns-default-2', 'ns-secrets-2']);
      expect(activeKeys(state).map((key) => key.kid)).toEqual(['erk', 'tmk3', 'ns-default-3', 'ns-secrets-3']);
    });
  });

  it('refuses an unprovisioned tenant', () => {
    spec.given([]).when(rekeyCommand(2, T1)).thenThrows(NotFoundError, /no key hierarchy/);
  });

  it('refuses a rekey that leaves a namespace unrotated', () => {
    spec
      .given(provisioned())
      .when(rekeyCommand(2, T1, { namespaceKeys: [{ namespace: 'default', kid: 'n', fingerprint: 'f' }] }))
      .thenThrows(ValidationError, /exactly the active namespaces \(default, secrets\); got default/);
  });

  it('refuses a rekey that invents a namespace', () => {
    spec
      .given(provisioned())
      .when(
        rekeyCommand(2, T1, {
          namespaceKeys: [
            { namespace: 'default', kid: 'a', fingerprint: 'f' },
            { namespace: 'secrets', kid: 'b', fingerprint: 'f' },
            { namespace: 'other', kid: 'c', fingerprint: 'f' },
          ],
        }),
      )
      .thenThrows(ValidationError, /exactly the active namespaces/);
  });

  it('refuses to reuse the id of a live key', () => {
    spec.given(afterRekeys(1)).when(rekeyCommand(3, T2, { tmk: { kid: 'ns-default-1', fingerprint: 'f' } })).thenThrows(ValidationError, /ns-default-1 is already in use/);
  });

  it('writes commits whose size does not grow with the tenant\'s history', () => {
    const sizes: number[] = [];
    let events = provisioned();
    let state = events.reduce(evolve, initialState());
    for (let n = 2; n <= 301; n += 1) {
      const emitted = tenantKeyHierarchyDecider.decide(rekeyCommand(n, T1), state);
      sizes.push(JSON.stringify(emitted).length);
      state = emitted.reduce(evolve, state);
      events = [...events, ...emitted];
    }
    // Every rekey commit names the same number of keys, whatever came before: only the ids' digits grow
    // (listing the re-wrapped keys, the 300th would be about 9 KB larger than the first).
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(100);
    if (state.status !== 'provisioned') return;
    // 300 rekeys without retirement: the ERK, one TMK and every namespace key (live); no destroyed TMK.
    expect(state.keys).toHaveLength(2 + 2 * 301);
    expect(state.keys.filter((key) => key.type === 'tenant-master-key')).toHaveLength(1);
    expect(state.keyCount).toBe(1 + 301 * 3);
  });
});

describe('evolve', () => {
  it('never throws and ignores events that do not fit the state', () => {
    const stray: KeyHierarchyEvent = {
      type: 'KeyStateChanged',
      data: { kid: 'x', keyType: 'tenant-master-key', from: 'active', to: 'destroyed', cause: 'rekey', occurredAt: T0 },
    };
    expect(evolve(initialState(), stray)).toEqual(initialState());
    const state = provisioned().reduce(evolve, initialState());
    expect(evolve(state, provisioned()[0]!)).toBe(state);
  });

  it('keeps state JSON-safe', () => {
    const state = afterRekeys(2).reduce(evolve, initialState());
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe('RetireKey', () => {
  const retire = (kid: string, cause: 'retire' | 'retention' = 'retire') => ({ type: 'RetireKey' as const, data: { kid, cause, now: T2 } });

  it('destroys a deactivated namespace key, which then leaves the decision state', () => {
    spec
      .given(afterRekeys(1))
      .when(retire('ns-default-1'))
      .then([{ type: 'KeyStateChanged', data: { kid: 'ns-default-1', keyType: 'tenant-encryption-key', from: 'deactivated', to: 'destroyed', cause: 'retire', occurredAt: T2 } }]);
    spec.given(afterRekeys(1)).when(retire('ns-default-1', 'retention')).thenState((state) => {
      if (state.status !== 'provisioned') throw new Error('not provisioned');
      expect(state.keys.map((key) => key.kid)).not.toContain('ns-default-1');
      expect(state.keys.map((key) => key.kid)).toContain('ns-secrets-1');
    });
  });

  it.each([
    ['an active namespace key', 'ns-default-2', /active key of namespace 'default'; rekey first/],
    ['the active TMK', 'tmk2', /active tenant master key; a rekey replaces and destroys it/],
    ['the environment root key', 'erk', /environment root key/],
  ])('refuses %s', (_what, kid, message) => {
    spec.given(afterRekeys(1)).when(retire(kid)).thenThrows(IllegalKeyStateError, message);
  });

  it('refuses a key that is not live (never existed, or already destroyed)', () => {
    spec.given(afterRekeys(1)).when(retire('tmk1')).thenThrows(NotFoundError, /tmk1 does not exist/);
  });

  it('refuses a customer-provided root key, which is deleted through its own command', () => {
    const cprk: KeyRecord = { kid: 'cprk', type: 'customer-provided-root-key', state: 'pre-activation', createdAt: T1, updatedAt: T1, parentKid: null, namespace: null, fingerprint: null, seq: 9, deactivatedAt: null };
    const state = afterRekeys(1).reduce(evolve, initialState());
    if (state.status !== 'provisioned') throw new Error('not provisioned');
    expect(() => tenantKeyHierarchyDecider.decide(retire('cprk'), { ...state, keys: [...state.keys, cprk] })).toThrow(/customer-provided root key: it is deleted/);
  });
});

describe('keysDestroyedBy', () => {
  it('gives the catalog record of every key a batch of events destroys', () => {
    const state = afterRekeys(1).reduce(evolve, initialState());
    const emitted = tenantKeyHierarchyDecider.decide(rekeyCommand(3, T2), state);

    expect(keysDestroyedBy(state, emitted)).toEqual([
      expect.objectContaining({ kid: 'tmk2', type: 'tenant-master-key', state: 'destroyed', updatedAt: T2, parentKid: 'erk', seq: 4 }),
    ]);
    expect(keysDestroyedBy(state, [])).toEqual([]);
  });
});

describe('ChangeRetentionPolicy', () => {
  it('records a new setting once, and nothing when it is unchanged', () => {
    const change = (autoRetireAfter: string | null) => ({ type: 'ChangeRetentionPolicy' as const, data: { autoRetireAfter, now: T1 } });
    spec.given(provisioned()).when(change('P30D')).then([{ type: 'RetentionPolicyChanged', data: { autoRetireAfter: 'P30D', occurredAt: T1 } }]);
    spec.given([...provisioned(), { type: 'RetentionPolicyChanged', data: { autoRetireAfter: 'P30D', occurredAt: T1 } }]).when(change('P30D')).then([]);
    spec.given(provisioned()).when(change(null)).then([]);
  });
});

describe('streams written before the key catalog', () => {
  it('replay: listed re-wraps still move exactly their keys, and the catalog is marked for a backfill', () => {
    const legacy: KeyHierarchyEvent[] = [
      { type: 'TenantProvisioned', data: { tenant: 'acme', rootKey: { kid: 'erk', createdAt: T0 }, occurredAt: T0 } },
      ...provisioned().slice(1),
      { type: 'KeysRewrapped', data: { kids: ['ns-default-1'], fromParentKid: 'tmk1', toParentKid: 'tmk9', cause: 'rekey', occurredAt: T1 } },
    ];
    const state = legacy.reduce(evolve, initialState());
    if (state.status !== 'provisioned') throw new Error('not provisioned');
    expect(state.catalogComplete).toBe(false);
    expect(state.keys.find((key) => key.kid === 'ns-default-1')?.parentKid).toBe('tmk9');
    expect(state.keys.find((key) => key.kid === 'ns-secrets-1')?.parentKid).toBe('tmk1');
    spec.given(legacy).when({ type: 'RecordKeyCatalogBackfill', data: { keys: 0, now: T1 } }).then([{ type: 'KeyCatalogBackfilled', data: { keys: 0, occurredAt: T1 } }]);
    spec.given(provisioned()).when({ type: 'RecordKeyCatalogBackfill', data: { keys: 0, now: T1 } }).then([]);
  });
});
