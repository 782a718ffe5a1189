/** A key as the listing shows it (GET /api/v2/keys/encryption, GET /v1/keys/as-of). */
export interface KeyView {
  kid: string;
  type: 'environment-root-key' | 'customer-provided-root-key' | 'tenant-master-key' | 'tenant-encryption-key';
  state: 'pre-activation' | 'active' | 'deactivated' | 'destroyed';
  created_at: string;
  updated_at: string;
  parent_kid: string | null;
  public_key: string | null;
  namespace: string | null;
}

export interface KeyNode {
  key: KeyView;
  children: KeyNode[];
}

export type DestroyedFilter = 'all' | 'hide' | 'only';

const TYPE_ORDER: Record<KeyView['type'], number> = {
  'environment-root-key': 0,
  'customer-provided-root-key': 1,
  'tenant-master-key': 2,
  'tenant-encryption-key': 3,
};

/**
 * The hierarchy as a forest: root keys, the master keys they wrap, the namespace keys under
 * those. A key whose parent is not in the list (filtered out, or never listed) is a root of its
 * own. Newest first among siblings, as the listing orders them.
 */
export function buildKeyTree(keys: readonly KeyView[], filter: DestroyedFilter = 'all'): KeyNode[] {
  const shown = keys.filter((key) => (filter === 'all' ? true : filter === 'hide' ? key.state !== 'destroyed' : key.state === 'destroyed'));
  const nodes = new Map(shown.map((key) => [key.kid, { key, children: [] as KeyNode[] }]));
  const roots: KeyNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.key.parent_kid ? nodes.get(node.key.parent_kid) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const order = (a: KeyNode, b: KeyNode) =>
    TYPE_ORDER[a.key.type] - TYPE_ORDER[b.key.type] || b.key.created_at.localeCompare(a.key.created_at) || a.key.kid.localeCompare(b.key.kid);
  const sortAll = (list: KeyNode[]) => {
    list.sort(order);
    for (const node of list) sortAll(node.children);
  };
  sortAll(roots);
  return roots;
}

/**
 * The time slider's stops: one per change the listing shows (a key created or changed), each
 * meaning "just after that change" and asked for as the instant before the next change, so that
 * a commit made a moment after its key's timestamp is included. The last stop is now.
 */
export function timeStops(keys: readonly KeyView[]): Array<{ label: string; at: string | null }> {
  const instants = [...new Set(keys.flatMap((key) => [key.created_at, key.updated_at]))].sort();
  return instants.map((instant, index) => {
    const next = instants[index + 1];
    return { label: instant, at: next === undefined ? null : new Date(Date.parse(next) - 1).toISOString() };
  });
}

export const KEY_TYPE_LABELS: Record<KeyView['type'], string> = {
  'environment-root-key': 'environment root key',
  'customer-provided-root-key': 'customer-provided root key',
  'tenant-master-key': 'tenant master key',
  'tenant-encryption-key': 'namespace key',
};
