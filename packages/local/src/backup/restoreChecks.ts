import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { verifyChain, type DynamoDbAuditLogStore, type LogEntry } from '@keyledger/audit-log';
import { findKey, liveNamespaceKeys, parseStreamId, type KeyType, type Logger } from '@keyledger/domain';
import { EVENTS_ATTR, KEY_CATALOG_ATTR, type LocalDynamoDb } from '@keyledger/dynamodb';
import type { DestructionLedger, KeyHierarchyService } from '@keyledger/key-hierarchy';
import { reapplyDestructions } from '@keyledger/key-hierarchy/restore';

/**
 * Destroyed keys the catalog lists but the ledger lacks (an append that never succeeded, or a
 * crash between a commit and its append), appended now. The catalog is written ahead of the
 * commit, so an entry counts only when the tenant's stream has the key destroyed too.
 */
export async function reconcileLedger(dynamo: LocalDynamoDb, keyHierarchy: KeyHierarchyService, ledger: DestructionLedger, logger: Logger): Promise<number> {
  const known = new Set((await ledger.read()).flatMap((entry) => (entry.kind === 'key' ? [`${entry.tenant}#${entry.kid}`] : [])));
  const missing = new Map<string, Array<{ kid: string; keyType: KeyType; updatedAt: string }>>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables.keyCatalog, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const tenant = item[KEY_CATALOG_ATTR.tenant]?.S ?? '';
      if (!item[KEY_CATALOG_ATTR.entry]?.S?.startsWith('kid#') || tenant.startsWith('#')) continue;
      const record = JSON.parse(item[KEY_CATALOG_ATTR.record]?.S ?? '{}') as { kid?: string; type?: KeyType; state?: string; updatedAt?: string };
      if (record.state !== 'destroyed' || !record.kid || known.has(`${tenant}#${record.kid}`)) continue;
      missing.set(tenant, [...(missing.get(tenant) ?? []), { kid: record.kid, keyType: record.type!, updatedAt: record.updatedAt ?? '' }]);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  let added = 0;
  for (const [tenant, keys] of missing) {
    const { state, version } = await keyHierarchy.ctx.load(tenant);
    const destroyed = keys.filter((key) => findKey(state, key.kid) === undefined);
    if (destroyed.length === 0) continue;
    await ledger.record(destroyed.map((key) => ({ kind: 'key', tenant, kid: key.kid, keyType: key.keyType, cause: 'reconciled', destroyedAt: key.updatedAt, version })));
    added += destroyed.length;
  }
  if (added > 0) logger.warn('destruction ledger: destroyed keys it lacked were added from the key catalog', { added });
  return added;
}

/** Before serving: the ledger's destructions made again where the tables still hold the keys (a data dir restored from an older backup). */
export async function reapplyLedger(keyHierarchy: KeyHierarchyService, ledger: DestructionLedger, logger: Logger): Promise<number> {
  const entries = await ledger.read();
  if (entries.length === 0) return 0;
  const reapplied = await reapplyDestructions(keyHierarchy, entries);
  const keys = reapplied.reduce((sum, tenant) => sum + tenant.keys.length, 0);
  if (reapplied.length > 0) logger.warn('destructions recorded in the destruction ledger re-applied before serving', { tenants: reapplied.length, keys });
  return keys;
}

export interface StateCheck {
  tenants: number;
  /** Tenants shredded (nothing of theirs is unwrapped). */
  shredded: number;
  /** Live keys unwrapped: each tenant's TMK (through its root key) and every live namespace key. */
  keysUnwrapped: number;
  /** Audit entries whose hash chain verified, over every tenant. */
  auditEntries: number;
  /** One sentence per failure; empty when the state may be served. */
  problems: string[];
}

/** The tenants of the event table (a scan: the local stack's tables are small enough). */
async function tenantsOf(dynamo: LocalDynamoDb): Promise<string[]> {
  const tenants = new Set<string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.client.send(
      new ScanCommand({ TableName: dynamo.tables.events, ProjectionExpression: '#s', ExpressionAttributeNames: { '#s': EVENTS_ATTR.streamId }, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const stream = parseStreamId(item[EVENTS_ATTR.streamId]?.S ?? '');
      if (stream.kind === 'tenant') tenants.add(stream.tenant);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...tenants].sort();
}

/**
 * What a restore checks before the state is used: every tenant's audit chain verifies from its
 * first entry to its head, and every live key of every tenant that is not shredded unwraps
 * through the root key store (so the root key is the one the backup was taken under).
 */
export async function checkState(dynamo: LocalDynamoDb, keyHierarchy: KeyHierarchyService, auditLog: DynamoDbAuditLogStore): Promise<StateCheck> {
  const check: StateCheck = { tenants: 0, shredded: 0, keysUnwrapped: 0, auditEntries: 0, problems: [] };
  for (const tenant of await tenantsOf(dynamo)) {
    check.tenants += 1;
    const head = await auditLog.getHead(tenant);
    if (head) {
      const entries: LogEntry[] = [];
      for (let sequence = 1; sequence <= head.sequence; sequence += 1) {
        const entry = await auditLog.getEntry(tenant, sequence);
        if (entry) entries.push(entry);
      }
      const verified = verifyChain(entries, head);
      if (verified.ok) check.auditEntries += verified.entries;
      else check.problems.push(`Tenant ${tenant}: the audit chain does not verify: ${verified.message}`);
    }
    let loaded;
    try {
      loaded = await keyHierarchy.openTenant(tenant);
    } catch (error) {
      if ((error as { code?: string }).code === 'tenant_shredded' || (error as Error).name === 'TenantShreddedError') {
        check.shredded += 1;
        continue;
      }
      check.problems.push(`Tenant ${tenant}: its hierarchy does not load: ${(error as Error).message}`);
      continue;
    }
    const kids = liveNamespaceKeys(loaded.state).map((key) => key.kid);
    try {
      const keys = await keyHierarchy.unwrapNamespaceKeys(tenant, loaded, kids);
      check.keysUnwrapped += keys.size + 1;
      for (const key of keys.values()) key.fill(0);
    } catch (error) {
      check.problems.push(`Tenant ${tenant}: its live keys do not unwrap (${(error as Error).message}); is the root key the one the backup was taken under?`);
    }
  }
  return check;
}
