import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore, type EventStore } from '@keyledger/event-store';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { SoftwareRootKeyStore, type RootKeyStore } from '@keyledger/root-key-store';
import type { KeyRecord } from '@keyledger/domain';
import { DynamoDbKeyCatalog, type KeyCatalog } from '@keyledger/key-catalog';
import type { KeyDependents, KeyHierarchyOptions } from '../context';
import { KeyHierarchyService } from '../keyHierarchyService';
import { createTenantRepository } from '../tenantRepository';

/**
 * For service tests: one dynalite (over HTTP, the real SDK client) and one software root key
 * store per test file, started in beforeAll and removed in afterAll; services built on them.
 */
export function useServiceHarness(defaults: { namespaces: string[]; snapshotEvery: number; tenantPrefix: string }) {
  let dynamo: LocalDynamoDb | undefined;
  let dir: string | undefined;
  let rootKeyStore: SoftwareRootKeyStore | undefined;
  let counter = 0;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useServiceHarness: only available inside tests');
    return value;
  };

  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
    dir = await mkdtemp(join(tmpdir(), `keyledger-${defaults.tenantPrefix}-`));
    rootKeyStore = await SoftwareRootKeyStore.openOrCreate(join(dir, 'root-key.json'));
  });
  afterAll(async () => {
    await dynamo?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  return {
    get dynamo() {
      return ready(dynamo);
    },
    /** The software store's directory (its key file and customer-root-keys/). */
    get dir() {
      return ready(dir);
    },
    get rootKeyStore() {
      return ready(rootKeyStore);
    },
    newTenant: () => `${defaults.tenantPrefix}${Date.now()}x${(counter += 1)}`,
    /** Every key of the tenant, live and destroyed, in creation order (the listing pages newest first). */
    async listAll(service: KeyHierarchyService, tenant: string): Promise<KeyRecord[]> {
      const { keys } = await service.listKeys(tenant, { page: 0, perPage: 10_000 });
      return [...keys].reverse();
    },
    /**
     * A service on the shared tables. What depends on keys is a fake unless given (`dependents`):
     * set `usage.secretVersions` / `usage.lastDecryptAt` by kid to make a key look in use, and
     * add to `usage.unindexedNamespaces` for a namespace whose secrets are not all indexed yet.
     */
    harness(
      options: {
        rootKeys?: RootKeyStore;
        clock?: () => Date;
        dependents?: KeyDependents;
        retireQuietPeriodMs?: number;
        deactivationGraceMs?: number;
        destructionPolicy?: KeyHierarchyOptions['destructionPolicy'];
        onChange?: KeyHierarchyOptions['onChange'];
        receipts?: KeyHierarchyOptions['receipts'];
        tenantData?: KeyHierarchyOptions['tenantData'];
        logger?: KeyHierarchyOptions['logger'];
        /** Wraps the catalog the service uses (e.g. to make writes fail). */
        wrapCatalog?: (catalog: KeyCatalog) => KeyCatalog;
        /** Wraps the event store the repository uses (e.g. to count what it reads). */
        wrapEventStore?: (store: EventStore) => EventStore;
      } = {},
    ) {
      const db = ready(dynamo);
      const eventStore = new DynamoDbEventStore({ client: db.client, eventsTable: db.tables.events, snapshotsTable: db.tables.snapshots, snapshotHistoryTable: db.tables.snapshotHistory });
      const keyMaterial = new DynamoDbKeyMaterialStore({ client: db.client, tableName: db.tables.keyMaterial });
      const catalog = new DynamoDbKeyCatalog({ client: db.client, tableName: db.tables.keyCatalog });
      const repository = createTenantRepository(options.wrapEventStore ? options.wrapEventStore(eventStore) : eventStore, { snapshotEvery: defaults.snapshotEvery });
      const usage = { secretVersions: new Map<string, number>(), lastDecryptAt: new Map<string, string>(), unindexedNamespaces: new Set<string>() };
      const fakeDependents: KeyDependents = {
        secretVersions: async (_tenant, kid) => usage.secretVersions.get(kid) ?? 0,
        secretsIndexed: async (_tenant, namespace) => !usage.unindexedNamespaces.has(namespace),
        decrypts: async (_tenant, kid) => ({ lastDecryptAt: usage.lastDecryptAt.get(kid) ?? null, decrypts: usage.lastDecryptAt.has(kid) ? 1 : 0 }),
      };
      const service = new KeyHierarchyService({
        repository,
        keyMaterial,
        catalog: options.wrapCatalog ? options.wrapCatalog(catalog) : catalog,
        dependents: options.dependents ?? fakeDependents,
        retireQuietPeriodMs: options.retireQuietPeriodMs ?? 0,
        deactivationGraceMs: options.deactivationGraceMs,
        destructionPolicy: options.destructionPolicy,
        rootKeyStore: options.rootKeys ?? ready(rootKeyStore),
        namespaces: defaults.namespaces,
        clock: options.clock,
        onChange: options.onChange,
        receipts: options.receipts,
        tenantData: options.tenantData,
        logger: options.logger,
      });
      return { service, eventStore, keyMaterial, catalog, repository, usage: { ...usage, dependents: fakeDependents } };
    },
  };
}
