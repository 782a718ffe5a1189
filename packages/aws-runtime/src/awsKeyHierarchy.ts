import type { RegionRule } from '@keyledger/domain';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ActivityRecorder, AuditedRootKeyStore } from '@keyledger/activity';
import { createDataPlaneStores, DEFAULT_DATA_PLANE_LIMITS, type DataPlaneStores } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { DynamoDbKeyCatalog } from '@keyledger/key-catalog';
import { createTenantRepository, KeyHierarchyService, type HierarchyChange, type KeyHierarchyOptions } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import type { RootKeyStore } from '@keyledger/root-key-store';
import { readSettings, type Environment, type SettingValues } from '@keyledger/settings';
import { createAwsRootKeyStore, readAwsRootKeySettings, type AwsClients, type AwsRootKeySettings } from './awsRootKeyStore';

const HIERARCHY_SETTINGS = [
  'eventsTable',
  'snapshotsTable',
  'snapshotHistoryTable',
  'keyMaterialTable',
  'keyCatalogTable',
  'secretsTable',
  'keyUsageTable',
  'jobsTable',
  'tenantClaim',
  'namespaces',
  'retireQuietPeriod',
  'destructionWaitingPeriod',
  'destructionApprovals',
  'destructionRequestTtl',
  'usageFlushInterval',
  'keyStateTtlMs',
  'writeRegion',
] as const;

/** Beyond the data planes' key-state TTL, how long a deactivated key is kept for requests in flight and the secrets index to settle. */
const IN_FLIGHT_MARGIN_MS = 60_000;
export type AwsKeyHierarchySettings = SettingValues<(typeof HIERARCHY_SETTINGS)[number]> & AwsRootKeySettings & { awsRegion?: string };

/** The settings every Lambda that works on the key hierarchy reads (the CDK app sets them; Lambda sets AWS_REGION). */
export function readAwsKeyHierarchySettings(env: Environment): AwsKeyHierarchySettings {
  return { ...readSettings(HIERARCHY_SETTINGS, env), ...readAwsRootKeySettings(env), awsRegion: env['AWS_REGION'] };
}

/**
 * What one function adds to the hierarchy (key-admin: the receipt signer and the audit chain
 * head), built on the same client and root key store; the others do not bundle it.
 */
export type AwsHierarchyExtras = (built: { dynamodb: DynamoDBClient; rootKeyStore: RootKeyStore }) => Pick<KeyHierarchyOptions, 'receipts' | 'auditChainHead'>;

export interface AwsKeyHierarchy {
  dynamodb: DynamoDBClient;
  eventStore: DynamoDbEventStore;
  activity: ActivityRecorder;
  keyHierarchy: KeyHierarchyService;
  stores: DataPlaneStores;
  /** Multi-Region: this Region and the write Region (routes that change anything answer 503 elsewhere; schedules do nothing). */
  regions: RegionRule | undefined;
}


/**
 * The AWS adapters of the key hierarchy, as the Lambda composition roots wire them: DynamoDB
 * tables (events, key material, the key catalog, and the data plane's stores, which say what
 * depends on a key), the root key store, and activity (sapi/fapi, root key store operations)
 * written to the event table, whose stream takes it to EventBridge.
 */
export async function createAwsKeyHierarchy(
  settings: AwsKeyHierarchySettings,
  logger: Logger,
  clients: AwsClients = {},
  onChange?: (change: HierarchyChange) => void,
  extras?: AwsHierarchyExtras,
): Promise<AwsKeyHierarchy> {
  const dynamodb = clients.dynamodb ?? new DynamoDBClient({});
  const regions = settings.writeRegion ? { region: settings.awsRegion ?? '', writeRegion: settings.writeRegion } : undefined;
  const eventStore = new DynamoDbEventStore({
    client: dynamodb,
    eventsTable: settings.eventsTable,
    snapshotsTable: settings.snapshotsTable,
    snapshotHistoryTable: settings.snapshotHistoryTable,
    // The outbox reads the table's stream in AWS: no commit-log index is deployed or written.
    commitLog: false,
    // Multi-Region: only the write Region commits (Lambda sets AWS_REGION).
    regions,
  });
  const activity = new ActivityRecorder({ eventStore, logger });
  const stores = createDataPlaneStores(
    dynamodb,
    { secrets: settings.secretsTable, keyUsage: settings.keyUsageTable, jobs: settings.jobsTable },
    { usageFlushIntervalMs: settings.usageFlushInterval, logger },
  );
  const rootKeyStore = new AuditedRootKeyStore(await createAwsRootKeyStore(settings, clients), activity);
  const catalog = new DynamoDbKeyCatalog({ client: dynamodb, tableName: settings.keyCatalogTable });
  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore, { logger }),
    keyMaterial: new DynamoDbKeyMaterialStore({ client: dynamodb, tableName: settings.keyMaterialTable }),
    catalog,
    dependents: stores.dependents,
    rootKeyStore,
    namespaces: settings.namespaces,
    retireQuietPeriodMs: settings.retireQuietPeriod,
    destructionPolicy: { waitingPeriodMs: settings.destructionWaitingPeriod, approvals: settings.destructionApprovals, requestTtlMs: settings.destructionRequestTtl },
    // Data-plane Lambdas follow a rekey only when their cached view expires: until then they may encrypt under the old key.
    deactivationGraceMs: (settings.keyStateTtlMs ?? DEFAULT_DATA_PLANE_LIMITS.keyStateTtlMs) + IN_FLIGHT_MARGIN_MS,
    logger,
    onChange,
    tenantData: stores.tenantData,
    ...extras?.({ dynamodb, rootKeyStore }),
  });
  return { dynamodb, eventStore, activity, keyHierarchy, stores, regions };
}
