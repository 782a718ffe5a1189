/**
 * The one definition of keyledger's DynamoDB tables. The local stack creates tables from it
 * (`toCreateTableInput`) and the CDK app builds its `Table` constructs from it, so the two can
 * never drift. Attribute names are exported so adapters never spell them twice.
 */
export type AttributeType = 'S' | 'N' | 'B';

export interface TableDefinition {
  /** Stable logical id: CDK construct id and suffix of the physical table name. */
  /** (What each table holds is the comment in it: comments, so the Lambda bundles do not carry the prose.) */
  readonly id: string;
  readonly partitionKey: { readonly name: string; readonly type: AttributeType };
  readonly sortKey?: { readonly name: string; readonly type: AttributeType };
  /** A stream of new images feeds the outbox publisher in AWS (DESIGN.md, Events). */
  readonly stream?: 'NEW_IMAGE';
  readonly timeToLiveAttribute?: string;
  readonly globalSecondaryIndexes?: readonly GlobalSecondaryIndexDefinition[];
  /** Whether items hold key material: deleted items must be gone for good (no backups kept longer than needed). */
  readonly holdsKeyMaterial: boolean;
  /** Only the local stack has it (its outbox catches up from the commit log: dynalite has no streams); the CDK app deploys none. */
  readonly localOnly?: true;
}

export interface GlobalSecondaryIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: { readonly name: string; readonly type: AttributeType };
  readonly sortKey: { readonly name: string; readonly type: AttributeType };
  readonly projection: 'ALL' | 'KEYS_ONLY';
  /** As TableDefinition.localOnly: AWS has no such index, and nothing there writes its keys. */
  readonly localOnly?: true;
}

export const EVENTS_ATTR = {
  streamId: 'stream_id',
  version: 'version',
  committedAt: 'committed_at',
  events: 'events',
  eventCount: 'event_count',
  /** Commit-log index keys: one partition, sorted by `committed_at#stream#version`. */
  commitLog: 'commit_log',
  commitPosition: 'commit_position',
  /** The AWS Region the commit was made in (multi-Region deployments): each Region's outbox publishes only its own. */
  region: 'committed_region',
} as const;

/**
 * The commit-log index: every commit in commit-time order, for the local outbox's catch-up.
 * Local only: its one partition value would put every tenant's commits on one index partition,
 * and in AWS the outbox reads the table's stream instead.
 */
export const COMMIT_LOG_INDEX = 'commit-log';
export const COMMIT_LOG_PARTITION = 'commits';

export const SNAPSHOTS_ATTR = {
  streamId: 'stream_id',
  version: 'version',
  schemaVersion: 'schema_version',
  state: 'state',
  takenAt: 'taken_at',
} as const;

/**
 * Every snapshot ever taken of a stream (the Snapshots table keeps only the newest): what a read
 * of a stream as it was at an instant starts from. Sorted by the time of the snapshot's commit.
 */
export const SNAPSHOT_HISTORY_ATTR = {
  streamId: 'stream_id',
  /** `<committed_at of the snapshot's commit>#<12-digit version>`: a descending range read finds the newest at or before an instant. */
  position: 'position',
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

export const CHECKPOINTS_ATTR = {
  consumer: 'consumer',
  position: 'position',
  updatedAt: 'updated_at',
} as const;

export const AUDIT_LOG_ATTR = {
  tenant: 'tenant',
  /** `log#<20-digit sequence>` for entries, `event#<event id>` for idempotency markers, `head` for the chain head. */
  entryKey: 'entry_key',
  sequence: 'sequence',
  logId: 'log_id',
  eventId: 'event_id',
  date: 'date',
  type: 'type',
  entry: 'entry',
  hash: 'hash',
  status: 'status',
  leaseUntil: 'lease_until',
  afterSequence: 'after_sequence',
} as const;

/**
 * Secrets, as CredStash keeps them: one item per (secret, version) with a zero-padded version,
 * so that a descending query finds the latest. Keys are scoped by tenant and namespace.
 */
export const SECRETS_ATTR = {
  /** `<tenant>/<namespace>/<name>`; neither tenant nor namespace can hold a '/'. */
  secretId: 'secret_id',
  /** 19 digits, zero-padded. */
  version: 'version',
  /** `<tenant>/<namespace>`: partition of the by-namespace index (only on live versions). */
  namespaceId: 'namespace_id',
  /** `<name>#<version>`: sort key of the by-namespace index (only on live versions). */
  nameVersion: 'name_version',
  kid: 'kid',
  /** `<tenant>/<kid>`: partition of the by-kid index (only on live versions), which counts the versions a namespace key protects. */
  kidRef: 'kid_ref',
  /** The value's envelope (its own data key, wrapped by the namespace key). Removed when the version is deleted. */
  ciphertext: 'ciphertext',
  createdAt: 'created_at',
  createdBy: 'created_by',
  /** Set when the version was deleted: the number stays taken, the value is gone. */
  deletedAt: 'deleted_at',
  /** The re-encryption job that last moved this version's data key to another namespace key. */
  reencryptedBy: 'reencrypted_by',
  /** A version written by a scheduled rotation: the due time it was written for (at most one version per due time). */
  rotationDue: 'rotation_due',
  /** `rotations` on a secret's settings item while it has a rotation schedule: partition of the rotations-due index. */
  rotationQueue: 'rotation_queue',
  /** The settings item's next rotation time (ISO 8601): sort key of the rotations-due index. */
  rotationNext: 'rotation_next',
} as const;

/** Live secret versions of one tenant's namespace, sorted by name then version (lists names). */
export const SECRETS_BY_NAMESPACE_INDEX = 'by-namespace';
/** Live secret versions by the namespace key their data key is wrapped by (usage counts, re-encryption). */
export const SECRETS_BY_KID_INDEX = 'by-kid';
/**
 * Secrets with a rotation schedule, by their next rotation time: what the rotation scheduler
 * reads. One partition, written once per rotation (a period is at least an hour).
 */
export const SECRETS_ROTATIONS_DUE_INDEX = 'rotations-due';

/**
 * The key catalog: every destroyed key of a tenant, as the listing shows it, twice (by its
 * place in the tenant's key order and by id), so that a page of the listing is one range read.
 * Live keys are in the decision state; a catalog entry of a key that is still live there is
 * ignored (it was written ahead of a commit that did not happen). Also the registry of tenants
 * with automatic retirement, in a partition of its own.
 */
export const KEY_CATALOG_ATTR = {
  tenant: 'tenant',
  /** `seq#<12 digits>` or `kid#<kid>`; `<tenant>` in the retention registry. */
  entry: 'entry',
  record: 'record',
} as const;
/** The registry's partition: no tenant id can start with '#'. */
export const RETENTION_REGISTRY_PARTITION = '#retention';
/** Tenants with live destruction requests, which the destruction scheduler visits. */
export const DESTRUCTION_REGISTRY_PARTITION = '#destruction';
/** KeyCatalog partition of shredded tenants' tombstones (one item per tenant). */
export const SHREDDED_REGISTRY_PARTITION = '#shredded';
/** The deployment's destruction-receipt signing keys (public JWK, private half sealed and wrapped), `key#<kid>` each. */
export const RECEIPT_KEYS_PARTITION = '#receipt-keys';

/** Decrypt usage of deactivated namespace keys, flushed by the data plane (see KEYLEDGER_USAGE_FLUSH_INTERVAL). */
export const KEY_USAGE_ATTR = {
  tenant: 'tenant',
  kid: 'kid',
  decrypts: 'decrypts',
  lastDecryptAt: 'last_decrypt_at',
} as const;

/** Background jobs (re-encryption of stored secrets), per tenant, newest first by id. */
export const JOBS_ATTR = {
  tenant: 'tenant',
  /** Sortable: `rj_<13-digit ms>_<hex>`. */
  jobId: 'job_id',
  job: 'job',
  state: 'state',
  /** 'running' while the job has work left: the partition of the runnable index (sparse). */
  runnable: 'runnable',
  leaseOwner: 'lease_owner',
  leaseUntil: 'lease_until',
} as const;
export const RUNNABLE_JOBS_INDEX = 'runnable';
export const RUNNABLE = 'running';

/**
 * Request controls, shared by every function instance: idempotency records (`idem#<tenant>#<key
 * hash>`, expiring after 24 hours) and per-tenant rate-limit buckets (`rate#<tenant>`).
 */
export const REQUEST_CONTROLS_ATTR = {
  controlKey: 'control_key',
  requestHash: 'request_hash',
  state: 'state',
  /** Each claim attempt's own id: a put the SDK retried after it succeeded is recognised. */
  claimId: 'claim_id',
  leaseUntil: 'lease_until',
  response: 'response',
  /** GCRA's theoretical arrival time, in epoch microseconds. */
  tat: 'tat',
  /** Epoch seconds: DynamoDB's time to live, also checked on read (TTL deletion lags). */
  expiresAt: 'expires_at',
} as const;

export const TABLES = {
  events: {
    id: 'Events',
    // Event store: one item per commit, keyed by stream and commit version.
    partitionKey: { name: EVENTS_ATTR.streamId, type: 'S' },
    sortKey: { name: EVENTS_ATTR.version, type: 'N' },
    stream: 'NEW_IMAGE',
    globalSecondaryIndexes: [
      {
        indexName: COMMIT_LOG_INDEX,
        partitionKey: { name: EVENTS_ATTR.commitLog, type: 'S' },
        sortKey: { name: EVENTS_ATTR.commitPosition, type: 'S' },
        projection: 'ALL',
        localOnly: true,
      },
    ],
    holdsKeyMaterial: false,
  },
  snapshots: {
    id: 'Snapshots',
    // Latest aggregate snapshot per stream (state only, never key material).
    partitionKey: { name: SNAPSHOTS_ATTR.streamId, type: 'S' },
    holdsKeyMaterial: false,
  },
  snapshotHistory: {
    id: 'SnapshotHistory',
    // Every aggregate snapshot, by stream and the time of its commit (state only, never key material): reads of a hierarchy as it was at an instant.
    partitionKey: { name: SNAPSHOT_HISTORY_ATTR.streamId, type: 'S' },
    sortKey: { name: SNAPSHOT_HISTORY_ATTR.position, type: 'S' },
    holdsKeyMaterial: false,
  },
  keyMaterial: {
    id: 'KeyMaterial',
    // Wrapped key material, one item per (key, wrapping parent); deleted for good when a key is destroyed.
    partitionKey: { name: KEY_MATERIAL_ATTR.tenant, type: 'S' },
    sortKey: { name: KEY_MATERIAL_ATTR.materialId, type: 'S' },
    holdsKeyMaterial: true,
  },
  checkpoints: {
    id: 'Checkpoints',
    // Durable positions of catch-up consumers (the local outbox publisher).
    partitionKey: { name: CHECKPOINTS_ATTR.consumer, type: 'S' },
    holdsKeyMaterial: false,
    localOnly: true,
  },
  auditLog: {
    id: 'AuditLog',
    // Tenant audit logs: hash-chained entries, idempotency markers by event id, and the chain head.
    partitionKey: { name: AUDIT_LOG_ATTR.tenant, type: 'S' },
    sortKey: { name: AUDIT_LOG_ATTR.entryKey, type: 'S' },
    holdsKeyMaterial: false,
  },
  secrets: {
    id: 'Secrets',
    // CredStash-style secrets: one item per (tenant/namespace/name, zero-padded version), each value under its own data key; in the same partition the secret's settings (rotation schedule, audit mode) and read counts; per namespace its access rules.
    partitionKey: { name: SECRETS_ATTR.secretId, type: 'S' },
    sortKey: { name: SECRETS_ATTR.version, type: 'S' },
    globalSecondaryIndexes: [
      {
        indexName: SECRETS_BY_NAMESPACE_INDEX,
        partitionKey: { name: SECRETS_ATTR.namespaceId, type: 'S' },
        sortKey: { name: SECRETS_ATTR.nameVersion, type: 'S' },
        projection: 'KEYS_ONLY',
      },
      {
        indexName: SECRETS_BY_KID_INDEX,
        partitionKey: { name: SECRETS_ATTR.kidRef, type: 'S' },
        sortKey: { name: SECRETS_ATTR.nameVersion, type: 'S' },
        projection: 'KEYS_ONLY',
      },
      {
        indexName: SECRETS_ROTATIONS_DUE_INDEX,
        partitionKey: { name: SECRETS_ATTR.rotationQueue, type: 'S' },
        sortKey: { name: SECRETS_ATTR.rotationNext, type: 'S' },
        projection: 'KEYS_ONLY',
      },
    ],
    // A deleted secret must be gone for good, as destroyed key material is.
    holdsKeyMaterial: true,
  },
  keyCatalog: {
    id: 'KeyCatalog',
    // Destroyed keys of each tenant (by key order and by id) for the listing, and the registry of tenants with automatic retirement.
    partitionKey: { name: KEY_CATALOG_ATTR.tenant, type: 'S' },
    sortKey: { name: KEY_CATALOG_ATTR.entry, type: 'S' },
    holdsKeyMaterial: false,
  },
  keyUsage: {
    id: 'KeyUsage',
    // Decrypt counts and last decrypt time of deactivated namespace keys, written by the data plane.
    partitionKey: { name: KEY_USAGE_ATTR.tenant, type: 'S' },
    sortKey: { name: KEY_USAGE_ATTR.kid, type: 'S' },
    holdsKeyMaterial: false,
  },
  jobs: {
    id: 'Jobs',
    // Background jobs (re-encryption of stored secrets): progress, checkpoint and lease; runnable ones indexed.
    partitionKey: { name: JOBS_ATTR.tenant, type: 'S' },
    sortKey: { name: JOBS_ATTR.jobId, type: 'S' },
    globalSecondaryIndexes: [
      {
        indexName: RUNNABLE_JOBS_INDEX,
        partitionKey: { name: JOBS_ATTR.runnable, type: 'S' },
        sortKey: { name: JOBS_ATTR.jobId, type: 'S' },
        projection: 'KEYS_ONLY',
      },
    ],
    holdsKeyMaterial: false,
  },
  requestControls: {
    id: 'RequestControls',
    // Idempotency records of POST requests (24 hours) and per-tenant rate-limit buckets, shared by all function instances.
    partitionKey: { name: REQUEST_CONTROLS_ATTR.controlKey, type: 'S' },
    timeToLiveAttribute: REQUEST_CONTROLS_ATTR.expiresAt,
    holdsKeyMaterial: false,
  },
} as const satisfies Record<string, TableDefinition>;
export type TableNames = Record<TableKey, string>;

/** Physical table names: `${prefix}-${id}` (the CDK app uses the same convention per stage). */
export function tableNames(prefix: string): TableNames {
  const names = {} as TableNames;
  for (const key of Object.keys(TABLES) as TableKey[]) names[key] = `${prefix}-${TABLES[key].id}`;
  return names;
}

export type TableKey = keyof typeof TABLES;

/** The tables the CDK app deploys: all but the local-only ones. */
export type AwsTableKey = { [K in TableKey]: (typeof TABLES)[K] extends { localOnly: true } ? never : K }[TableKey];
