import { buildKeyTree, timeStops, type KeyView } from './keyTree';

const key = (kid: string, type: KeyView['type'], state: KeyView['state'], parent: string | null, created: string, updated = created): KeyView => ({
  kid,
  type,
  state,
  created_at: created,
  updated_at: updated,
  parent_kid: parent,
  public_key: null,
  namespace: type === 'tenant-encryption-key' ? 'default' : null,
});

const keys = [
  key('erk', 'environment-root-key', 'active', null, '2026-01-01T00:00:00.000Z'),
  key('tmk1', 'tenant-master-key', 'destroyed', 'erk', '2026-01-01T00:00:01.000Z', '2026-02-01T00:00:00.000Z'),
  key('ns1', 'tenant-encryption-key', 'deactivated', 'tmk2', '2026-01-01T00:00:01.000Z', '2026-02-01T00:00:00.000Z'),
  key('tmk2', 'tenant-master-key', 'active', 'erk', '2026-02-01T00:00:00.000Z'),
  key('ns2', 'tenant-encryption-key', 'active', 'tmk2', '2026-02-01T00:00:00.000Z'),
];

describe('buildKeyTree', () => {
  it('nests root key → master keys → namespace keys, newest first', () => {
    const [root, ...others] = buildKeyTree(keys);
    expect(others).toEqual([]);
    expect(root!.key.kid).toBe('erk');
    expect(root!.children.map((node) => node.key.kid)).toEqual(['tmk2', 'tmk1']);
    expect(root!.children[0]!.children.map((node) => node.key.kid)).toEqual(['ns2', 'ns1']);
  });

  it('filters destroyed keys, and a key whose parent is filtered out becomes a root', () => {
    expect(buildKeyTree(keys, 'hide')[0]!.children.map((node) => node.key.kid)).toEqual(['tmk2']);
    expect(buildKeyTree(keys, 'only').map((node) => node.key.kid)).toEqual(['tmk1']);
  });
});

describe('timeStops', () => {
  it('asks for the instant just before the next change, and now for the last', () => {
    expect(timeStops(keys)).toEqual([
      { label: '2026-01-01T00:00:00.000Z', at: '2026-01-01T00:00:00.999Z' },
      { label: '2026-01-01T00:00:01.000Z', at: '2026-01-31T23:59:59.999Z' },
      { label: '2026-02-01T00:00:00.000Z', at: null },
    ]);
  });
});
