import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from '@keyledger/domain';
import { AuditLogProjector, DynamoDbAuditLogStore } from '@keyledger/audit-log';
import { createAuditEventHandler, createAuditProjectorHandlers } from '@keyledger/audit-projector';
import { createCryptoDataPlaneService } from '@keyledger/crypto-data-plane';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { EVENT_SOURCE, InProcessBus } from '@keyledger/events';
import { ALL_SCOPES, createServiceRouter } from '@keyledger/http';
import { createKeyAdminHandlers } from '@keyledger/key-admin';
import { createTenantRepository, KeyHierarchyService } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { ActivityRecorder, AuditedRootKeyStore, recordApiCalls } from '@keyledger/activity';
import { CatchUpPublisher, CommitPublisher, DynamoDbCheckpointStore } from '@keyledger/outbox';
import { SoftwareRootKeyStore, type RootKeyStore } from '@keyledger/root-key-store';
// Deep import: only the pkcs11 configuration loads the native PKCS#11 binding.
import type { Pkcs11RootKeyStore } from '@keyledger/root-key-store/pkcs11';
import type { LocalConfig } from './config';
import { DevIssuer } from './devIssuer';
import { loadEventRules, subscribeRules } from './eventRules';
import { FaultInjectingRootKeyStore, observeCommits } from './faults';
import { createLocalServer } from './localServer';

export const ROOT_KEY_FILE = 'root-key.json';

export interface RunningLocalStack {
  url: string;
  dynamo: LocalDynamoDb;
  issuer: DevIssuer;
  rootKeyStore: RootKeyStore;
  /** One line for the start-up banner: which store, which OAEP profiles. */
  rootKeyStoreSummary: string;
  /** The in-process bus: subscribe to it like to an EventBridge rule. */
  bus: InProcessBus;
  adminToken: string;
  stop(): Promise<void>;
}

/** The local composition root: every adapter the local stack uses is chosen and wired here. */
export async function startLocalStack(config: LocalConfig, logger: Logger): Promise<RunningLocalStack> {
  let ready = false;
  const issuer = await DevIssuer.openOrCreate(config.dataDir, {
    audience: config.jwtAudience,
    tenantClaim: config.tenantClaim,
  });
  const rules = config.eventRules ? await loadEventRules(config.eventRules) : [];
  const rootKeyStore = await openRootKeyStore(config);
  const rootKeyStoreSummary = `${rootKeyStore.kind}${rootKeyStore.developmentOnly ? ' (development only)' : ''}, BYOK OAEP ${rootKeyStore.wrappingProfiles.join('/')}`;
  const closeRootKeyStore = () => (rootKeyStore as Partial<Pkcs11RootKeyStore>).close?.();
  const dynamo = await startLocalDynamoDb({ path: join(config.dataDir, 'dynamodb'), port: config.dynamodbPort });
  const tenantClaim = config.tenantClaim;

  // The bus, and what subscribes to it: audit-projector (every keyledger event) and local rules.
  const bus = new InProcessBus({ logger });
  const auditLog = new DynamoDbAuditLogStore({ client: dynamo.client, tableName: dynamo.tables.auditLog });
  const projector = new AuditLogProjector({ store: auditLog, environmentName: config.environmentName, logger });
  bus.subscribe('audit-projector', { source: [EVENT_SOURCE] }, createAuditEventHandler({ projector }));
  subscribeRules(bus, rules, logger);

  // The outbox: commits reach the bus only through the catch-up publisher, woken by each commit.
  const storedEvents = new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots });
  const outbox = new CatchUpPublisher({
    eventStore: storedEvents,
    commits: new CommitPublisher({ publisher: bus, logger }),
    checkpoints: new DynamoDbCheckpointStore({ client: dynamo.client, tableName: dynamo.tables.checkpoints }),
    pollIntervalMs: config.outboxPollMs,
    logger,
  });
  const eventStore = observeCommits(storedEvents, { faults: config.faults, afterCommit: () => outbox.notify(), logger });
  const activity = new ActivityRecorder({ eventStore, logger });

  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore, { logger }),
    keyMaterial: new DynamoDbKeyMaterialStore({ client: dynamo.client, tableName: dynamo.tables.keyMaterial }),
    rootKeyStore: new AuditedRootKeyStore(new FaultInjectingRootKeyStore(rootKeyStore, config.faults), activity),
    namespaces: config.namespaces,
    logger,
  });
  const keyAdmin = recordApiCalls(
    createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger })),
    { activity, tenantClaim, logger },
  );
  const cryptoDataPlane = createCryptoDataPlaneService({
    keyHierarchy,
    dynamodb: dynamo.client,
    secretsTable: dynamo.tables.secrets,
    limits: config.dataPlaneLimits,
    activity,
    tenantClaim,
    logger,
  }).router;
  const auditProjector = createServiceRouter('audit-projector', createAuditProjectorHandlers({ store: auditLog, tenantClaim, logger }));

  const server: Server = createLocalServer({
    services: { 'key-admin': keyAdmin, 'crypto-data-plane': cryptoDataPlane, 'audit-projector': auditProjector },
    issuer,
    logger,
    isReady: () => ready,
  });
  // With crash-after-commit the process must die with its commit unpublished: no publisher runs.
  if (!config.faults.includes('crash-after-commit')) outbox.start();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await outbox.stop();
    await dynamo.stop();
    closeRootKeyStore();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  ready = true;

  const adminToken = await issuer.sign({
    tenant: config.devTenant,
    scopes: ALL_SCOPES,
    subject: 'local-dev|admin',
    expiresIn: 12 * 3600,
  });

  return {
    url: `http://${config.host}:${port}`,
    dynamo,
    issuer,
    rootKeyStore,
    rootKeyStoreSummary,
    bus,
    adminToken,
    async stop() {
      ready = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await outbox.stop();
      await dynamo.stop();
      closeRootKeyStore();
    },
  };
}

/** KEYLEDGER_ROOT_KEY_STORE: the dev key file, or a PKCS#11 token whose ERK is created on first start. */
async function openRootKeyStore(config: LocalConfig): Promise<RootKeyStore> {
  if (config.rootKeyStore === 'software') return SoftwareRootKeyStore.openOrCreate(join(config.dataDir, ROOT_KEY_FILE));
  const { Pkcs11RootKeyStore: Store } = await import('@keyledger/root-key-store/pkcs11');
  return Store.open({
    library: config.pkcs11Library,
    tokenLabel: config.pkcs11TokenLabel,
    pin: config.pkcs11Pin ?? '',
    rootKeyLabel: config.pkcs11RootKeyLabel,
  });
}
