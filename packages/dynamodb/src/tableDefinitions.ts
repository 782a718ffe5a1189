/**
 * The one definition of keyledger's DynamoDB tables. The local stack creates tables from it
 * (`toCreateTableInput`) and the CDK app builds its `Table` constructs from it, so the two can
 * never drift. Attribute names are exported so adapters never spell them twice.
 */
export type AttributeType = 'S' | 'N' | 'B';

export interface TableDefinition {
  /** Stable logical id: CDK construct id and suffix of the physical table name. */
  readonly id: string;
  readonly description: string;
  readonly partitionKey: { readonly name: string; readonly type: AttributeType };
  readonly sortKey?: { readonly name: string; readonly type: AttributeType };
  /** A stream of new images feeds the outbox publisher in AWS (DESIGN.md, Events). */
  readonly stream?: 'NEW_IMAGE';
  readonly timeToLiveAttribute?: string;
  /** Whether items hold key material: deleted items must be gone for good (no backups kept longer than needed). */
  readonly holdsKeyMaterial: boolean;
}

export const EVENTS_ATTR = {
  streamId: 'stream_id',
  version: 'version',
  committedAt: 'committed_at',
  events: 'events',
  eventCount: 'event_count',
} as const;

export const SNAPSHOTS_ATTR = {
  streamId: 'stream_id',
  version: 'version',
  schemaVersion: 'schema_version',
  state: 'state',
  takenAt: 'taken_at',
} as const;

export const KEY_MATERIAL_ATTR = {
  tenant: 'tenant',
  materialId: 'material_id',
  kid: 'kid',
  parentKid: 'parent_kid',
  wrappedKey: 'wrapped_key',
  algorithm: 'algorithm',
  createdAt: 'created_at',
} as const;

export const TABLES = {
  events: {
    id: 'Events',
    description: 'Event store: one item per commit, keyed by stream and commit version.',
    partitionKey: { name: EVENTS_ATTR.streamId, type: 'S' },
    sortKey: { name: EVENTS_ATTR.version, type: 'N' },
    stream: 'NEW_IMAGE',
    holdsKeyMaterial: false,
  },
  snapshots: {
    id: 'Snapshots',
    description: 'Latest aggregate snapshot per stream (state only, never key material).',
    partitionKey: { name: SNAPSHOTS_ATTR.streamId, type: 'S' },
    holdsKeyMaterial: false,
  },
  keyMaterial: {
    id: 'KeyMaterial',
    description: 'Wrapped key material, one item per (key, wrapping parent); deleted for good when a key is destroyed.',
    partitionKey: { name: KEY_MATERIAL_ATTR.tenant, type: 'S' },
    sortKey: { name: KEY_MATERIAL_ATTR.materialId, type: 'S' },
    holdsKeyMaterial: true,
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;
export type TableNames = Record<TableKey, string>;

/** Physical table names: `${prefix}-${id}` (the CDK app uses the same convention per stage). */
export function tableNames(prefix: string): TableNames {
  const names = {} as TableNames;
  for (const key of Object.keys(TABLES) as TableKey[]) names[key] = `${prefix}-${TABLES[key].id}`;
  return names;
}
