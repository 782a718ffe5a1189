import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { readsOnly, type Logger } from '@keyledger/domain';
import { AuditLogProjector, DynamoDbAuditLogStore } from '@keyledger/audit-log';
import { createAuditEventHandler } from '@keyledger/audit-projector';
import { upgradeSecretItem } from '@keyledger/data-plane';
import { deleteExpiredItems, startLocalDynamoDb, TABLES, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { EVENT_SOURCE, InProcessBus } from '@keyledger/events';
import { ALL_SCOPES } from '@keyledger/http';
import { openApiJson } from '@keyledger/openapi';
import { CatchUpPublisher, CommitPublisher, DynamoDbCheckpointStore } from '@keyledger/outbox';
import { SoftwareRootKeyStore, type RootKeyStore } from '@keyledger/root-key-store';
// Its own entry: only the pkcs11 configuration loads the native PKCS#11 binding.
import type { Pkcs11RootKeyStore } from '@keyledger/root-key-store/pkcs11';
import type { LocalConfig } from './config';
import { destructionLedgerPath, FileDestructionLedger } from './backup/fileDestructionLedger';
import { checkState, reapplyLedger, reconcileLedger, type StateCheck } from './backup/restoreChecks';
import { secureDataDir } from './dataDir';
import { lockDataDir } from './dataDirLock';
import { DevIssuer } from './devIssuer';
import { loadEventRules, subscribeRules } from './eventRules';
import { observeCommits } from './faults';
import { createLocalServer } from './localServer';
import { createLocalServices } from './localServices';
import { DevSignIn } from './devSignIn';
import { createWebPages } from './webPages';
import { DevClock, LocalSchedulers } from './schedulers';

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
  /** The dashboard's URL (on the loopback address), and the dev sign-in that prints its one-time codes. */
  dashboardUrl: string;
  signIn: DevSignIn;
  /** What `keyledger backup restore` checks before the state is used (audit chains, live keys). */
  checkState(): Promise<StateCheck>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** packages/dashboard/dist: the built dashboard served at /. */
  dashboardDir?: string;
  /** Each new one-time code of the dev sign-in (npm start prints them). */
  onSignInCode?: (code: string, reason: 'start' | 'used' | 'too-many-wrong') => void;
}

/** The local stack on a data dir no other server uses (one-line refusal otherwise). */
export async function startLocalStack(config: LocalConfig, logger: Logger, options: LocalStackOptions = {}): Promise<RunningLocalStack> {
  const release = await lockDataDir(config.dataDir);
  let stack: RunningLocalStack;
  try {
    stack = await startOnLockedDataDir(config, logger, options);
  } catch (error) {
    await release();
    throw error;
  }
  return {
    ...stack,
    async stop() {
      await stack.stop();
      await release();
    },
  };
}

/** The local composition root: every adapter the local stack uses is chosen and wired here. */
async function startOnLockedDataDir(config: LocalConfig, logger: Logger, options: LocalStackOptions): Promise<RunningLocalStack> {
  let ready = false;
  await secureDataDir(config.dataDir, logger);
  const issuer = await DevIssuer.openOrCreate(config.dataDir, {
    audience: config.jwtAudience,
    tenantClaim: config.tenantClaim,
  });
  const rules = config.eventRules ? await loadEventRules(config.eventRules) : [];
  const devClock = config.devClock ? new DevClock() : undefined;
  const clock = devClock?.now ?? (() => new Date());
  // The store's clock is the stack's: wrapping keys expire by the dev clock too.
  const rootKeyStore = await openRootKeyStore(config, clock);
  const rootKeyStoreSummary = `${rootKeyStore.kind}${rootKeyStore.developmentOnly ? ' (development only)' : ''}, BYOK OAEP ${rootKeyStore.wrappingProfiles.join('/')}`;
  const closeRootKeyStore = () => (rootKeyStore as Partial<Pkcs11RootKeyStore>).close?.();
  const dynamo = await startLocalDynamoDb({ path: join(config.dataDir, 'dynamodb'), port: config.dynamodbPort, upgradeItem: upgradeSecretItem });

  // The bus, and what subscribes to it: audit-projector (every keyledger event) and local rules.
  const bus = new InProcessBus({ logger });
  const auditLog = new DynamoDbAuditLogStore({ client: dynamo.client, tableName: dynamo.tables.auditLog });
  const projector = new AuditLogProjector({ store: auditLog, environmentName: config.environmentName, logger });
  bus.subscribe('audit-projector', { source: [EVENT_SOURCE] }, createAuditEventHandler({ projector }));
  subscribeRules(bus, rules, logger);

  // The outbox: commits reach the bus only through the catch-up publisher, woken by each commit.
  // A multi-Region drill's stack plays one Region; only the write Region commits.
  const { regions } = config;
  const storedEvents = new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots, snapshotHistoryTable: dynamo.tables.snapshotHistory, clock, regions });
  const outbox = new CatchUpPublisher({
    eventStore: storedEvents,
    commits: new CommitPublisher({ publisher: bus, logger }),
    checkpoints: new DynamoDbCheckpointStore({ client: dynamo.client, tableName: dynamo.tables.checkpoints }),
    pollIntervalMs: config.outboxPollMs,
    region: config.region,
    clock,
    logger,
  });
  const eventStore = observeCommits(storedEvents, { faults: config.faults, afterCommit: () => outbox.notify(), logger });
  const ledger = new FileDestructionLedger(destructionLedgerPath(config.dataDir), logger);
  const services = createLocalServices({ config, dynamo, eventStore, rootKeyStore, auditLog, bus, clock, logger, ledger });
  // Before serving: a data dir restored from a backup gets every destruction made since (a no-op otherwise).
  try {
    await ledger.ensure();
    await reconcileLedger(dynamo, services.keyHierarchy, ledger, logger);
    await reapplyLedger(services.keyHierarchy, ledger, logger);
  } catch (error) {
    await dynamo.stop();
    closeRootKeyStore();
    throw error;
  }
  const schedulers = new LocalSchedulers({
    runner: services.runner,
    keyHierarchy: services.keyHierarchy,
    rotations: services.rotations,
    runJobs: !config.faults.includes('jobs-paused'),
    expireItems: () => deleteExpiredItems(dynamo.client, dynamo.tables.requestControls, TABLES.requestControls, clock()),
    logger,
  });

  // The dashboard and its dev sign-in answer on the loopback address only.
  let listeningPort = config.port;
  const origin = () => `http://${config.host === '::1' ? '[::1]' : '127.0.0.1'}:${listeningPort}`;
  const signIn = new DevSignIn({ issuer, scopes: ALL_SCOPES, defaultTenant: config.devTenant, onCode: (code, reason) => options.onSignInCode?.(code, reason) });
  const web = options.dashboardDir
    ? createWebPages({ distDir: options.dashboardDir, signIn, origin, audience: config.jwtAudience, scopes: ALL_SCOPES })
    : undefined;

  const server: Server = createLocalServer({
    web,
    services: services.routers,
    issuer,
    logger,
    limits: {
      headersTimeoutMs: config.httpHeadersTimeout,
      requestTimeoutMs: config.httpRequestTimeout,
      keepAliveTimeoutMs: config.httpKeepAliveTimeout,
      maxConnections: config.httpMaxConnections,
      maxRequestsInFlight: config.httpMaxRequestsInFlight,
      maxBufferedBytes: config.httpMaxBufferedBytes,
    },
    isReady: () => ready,
    openApiJson: openApiJson(),
    receiptKeys: () => services.receipts.jwks(),
    devClock: devClock
      ? async (advance) => {
          const now = devClock.advance(advance);
          await schedulers.runAll();
          return now;
        }
      : undefined,
  });
  // With crash-after-commit the process must die with its commit unpublished: no publisher runs.
  if (!config.faults.includes('crash-after-commit')) outbox.start();
  const stopServices = async () => {
    await schedulers.stop();
    await services.usage.stop();
    await services.secretReads.stop();
    await outbox.stop();
    await dynamo.stop();
    closeRootKeyStore();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await stopServices();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  listeningPort = port;
  services.usage.start();
  services.secretReads.start();
  // The schedulers write (destructions, retirements, jobs): a stack playing a read-only Region runs none.
  if (!readsOnly(regions)) await schedulers.start();
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
    dashboardUrl: `${origin()}/`,
    signIn,
    checkState: () => checkState(dynamo, services.keyHierarchy, auditLog),
    async stop() {
      ready = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await stopServices();
    },
  };
}

/** KEYLEDGER_ROOT_KEY_STORE: the dev key file, or a PKCS#11 token whose ERK is created on first start. */
async function openRootKeyStore(config: LocalConfig, clock: () => Date): Promise<RootKeyStore> {
  if (config.rootKeyStore === 'software') return SoftwareRootKeyStore.openOrCreate(join(config.dataDir, ROOT_KEY_FILE), clock);
  const { Pkcs11RootKeyStore: Store } = await import('@keyledger/root-key-store/pkcs11');
  return Store.open({
    library: config.pkcs11Library,
    tokenLabel: config.pkcs11TokenLabel,
    pin: config.pkcs11Pin ?? '',
    rootKeyLabel: config.pkcs11RootKeyLabel,
    clock,
  });
}
