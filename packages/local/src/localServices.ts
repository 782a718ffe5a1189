import { ActivityRecorder, AuditedRootKeyStore, recordApiCalls, recordJobProgress } from '@keyledger/activity';
import { createAuditProjectorHandlers } from '@keyledger/audit-projector';
import { chainHeadAfterEvent, type DynamoDbAuditLogStore } from '@keyledger/audit-log';
import { createCryptoDataPlaneService, REKEY_PATTERN, startJobForRekey } from '@keyledger/crypto-data-plane';
import { createDataPlaneWorkers } from '@keyledger/crypto-data-plane/workers';
import { createDataPlaneStores, DynamoDbRotationQueue, DynamoDbSecretControls } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import type { LocalDynamoDb } from '@keyledger/dynamodb';
import type { EventStore } from '@keyledger/event-store';
import type { InProcessBus } from '@keyledger/events';
import { createServiceRouter } from '@keyledger/http';
import { JobRunner } from '@keyledger/jobs';
import { createKeyAdminHandlers } from '@keyledger/key-admin';
import { DynamoDbKeyCatalog } from '@keyledger/key-catalog';
import { createTenantRepository, FOLLOW_UP_ATTEMPTS, KeyHierarchyService, type DestructionLedger } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { DynamoDbReceiptKeyRepository, ReceiptSigner } from '@keyledger/receipts';
import { requestControls } from '@keyledger/request-controls';
import type { RootKeyStore } from '@keyledger/root-key-store';
import type { LocalConfig } from './config';
import { FaultInjectingRootKeyStore, faultInjectingKeyMaterialStore } from './faults';

export interface LocalServicesInput {
  config: LocalConfig;
  dynamo: LocalDynamoDb;
  eventStore: EventStore;
  rootKeyStore: RootKeyStore;
  auditLog: DynamoDbAuditLogStore;
  bus: InProcessBus;
  clock: () => Date;
  logger: Logger;
  /** Where destructions are recorded for restores (the file beside the data dir). */
  ledger: DestructionLedger;
}

/**
 * The three services as the local stack runs them, in one process over the same stores as in
 * AWS. Because they share the process, a committed change of a hierarchy reaches the data
 * plane's caches before the call that made it returns (in AWS: within the key state TTL), and
 * jobs run in the background of this process.
 */
export function createLocalServices({ config, dynamo, eventStore, rootKeyStore, auditLog, bus, clock, logger, ledger }: LocalServicesInput) {
  // A multi-Region drill's stack plays one Region: outside the write Region, changes answer 503.
  const { regions } = config;
  const { client, tables } = dynamo;
  const tenantClaim = config.tenantClaim;
  const activity = new ActivityRecorder({ eventStore, logger });
  const stores = createDataPlaneStores(client, { secrets: tables.secrets, keyUsage: tables.keyUsage, jobs: tables.jobs }, {
    usageFlushIntervalMs: config.usageFlushInterval,
    clock,
    logger,
  });
  const auditedRootKeyStore = new AuditedRootKeyStore(new FaultInjectingRootKeyStore(rootKeyStore, config.faults), activity, clock);
  // Receipts of executed destruction requests, signed with a receipt key the root key store seals.
  const receipts = new ReceiptSigner({
    keys: new DynamoDbReceiptKeyRepository({ client, tableName: tables.keyCatalog }),
    rootKeyStore: auditedRootKeyStore,
    issuer: `keyledger:${config.environmentName}`,
    clock,
  });
  // Filled in below: the data plane and the job runner are built on the hierarchy they listen to.
  const late: { dataPlane?: { forget(tenant: string, destroyed: readonly string[]): void }; runner?: JobRunner } = {};
  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore, { logger }),
    keyMaterial: faultInjectingKeyMaterialStore(new DynamoDbKeyMaterialStore({ client, tableName: tables.keyMaterial }), config.faults, FOLLOW_UP_ATTEMPTS),
    catalog: new DynamoDbKeyCatalog({ client, tableName: tables.keyCatalog }),
    dependents: stores.dependents,
    rootKeyStore: auditedRootKeyStore,
    namespaces: config.namespaces,
    retireQuietPeriodMs: config.retireQuietPeriod,
    destructionPolicy: { waitingPeriodMs: config.destructionWaitingPeriod, approvals: config.destructionApprovals, requestTtlMs: config.destructionRequestTtl },
    clock,
    logger,
    onChange: (change) => late.dataPlane?.forget(change.tenant, change.destroyed),
    tenantData: stores.tenantData,
    receipts,
    auditChainHead: chainHeadAfterEvent(auditLog),
    ledger,
  });

  const secretControls = new DynamoDbSecretControls({ client, tableName: tables.secrets });
  const service = createCryptoDataPlaneService({
    regions,
    keySource: keyHierarchy,
    stores,
    namespaces: config.namespaces,
    limits: config.dataPlaneLimits,
    usageFlushIntervalMs: config.usageFlushInterval,
    secretControls,
    activity,
    tenantClaim,
    logger,
    clock,
    onJobCreated: config.faults.includes('jobs-paused') ? undefined : (job) => late.runner?.kick(job.tenant, job.id),
  });
  // The worker (in AWS the jobs function): re-encryption jobs and scheduled rotations.
  const workers = createDataPlaneWorkers(service, {
    store: stores.secretStore,
    secretControls,
    rotationQueue: new DynamoDbRotationQueue({ client, tableName: tables.secrets }),
    activity,
    logger,
    clock,
    afterReencryptionPageWrites: config.faults.includes('crash-mid-job') ? crashAfterSecondPage(logger) : undefined,
  });
  const runner = new JobRunner({ store: stores.jobStore, workers: { 'reencrypt-secrets': workers.reencryption }, onProgress: recordJobProgress(activity), clock, logger });
  late.dataPlane = service.dataPlane;
  late.runner = runner;
  // After every rekey, the re-encryption of stored secrets (the event is delivered at least once; the job is made once).
  bus.subscribe('reencryption-jobs', REKEY_PATTERN, async (event) => {
    await startJobForRekey(service.jobs, event);
  });

  const keyAdmin = recordApiCalls(createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger }), { regions }), { activity, tenantClaim, logger });
  const auditProjector = createServiceRouter('audit-projector', createAuditProjectorHandlers({ store: auditLog, tenantClaim, logger }));
  // Rate limits (in this process) and Idempotency-Key replay, in front of every service.
  const controlled = requestControls({
    settings: config,
    client,
    tableName: tables.requestControls,
    tenantClaim,
    buckets: 'memory',
    policies: service.replayPolicies,
    clock,
    logger,
  });
  return {
    routers: { 'key-admin': controlled(keyAdmin), 'crypto-data-plane': controlled(service.router), 'audit-projector': controlled(auditProjector) },
    keyHierarchy,
    runner,
    usage: stores.usage,
    secretReads: service.policies.counter,
    rotations: workers.rotations,
    receipts,
  };
}

/** The crash-mid-job fault: SIGKILL after the second page's writes, before its checkpoint (the first page is checkpointed). */
function crashAfterSecondPage(logger: Logger) {
  return (pages: number) => {
    if (pages < 2) return;
    logger.error('injected fault: crashing inside a job, after a page was written and before its checkpoint', { pages });
    process.kill(process.pid, 'SIGKILL');
  };
}
