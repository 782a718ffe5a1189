/**
 * AWS composition root of crypto-data-plane: configuration from the environment the CDK app
 * sets, DynamoDB and KMS adapters, one handler for every data-plane route. Caches live as long
 * as the Lambda execution environment.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { CryptoDataPlane, dataPlaneLimitsSchema, DynamoDbSecretStore, SecretsService } from '@keyledger/data-plane';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { createServiceRouter, jsonLogger } from '@keyledger/http';
import { createTenantRepository, DEFAULT_TENANT_CLAIM, KeyHierarchyService, namespaceListSchema, parseConfig } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { ActivityRecorder, AuditedRootKeyStore, recordApiCalls } from '@keyledger/outbox';
import { KmsRootKeyStore } from '@keyledger/root-key-store';
import { z } from 'zod';
import { createCryptoDataPlaneHandlers } from './handlers';

const configSchema = z
  .object({
    KEYLEDGER_EVENTS_TABLE: z.string().min(1),
    KEYLEDGER_SNAPSHOTS_TABLE: z.string().min(1),
    KEYLEDGER_KEY_MATERIAL_TABLE: z.string().min(1),
    KEYLEDGER_SECRETS_TABLE: z.string().min(1),
    KEYLEDGER_ROOT_KEY_ARN: z.string().startsWith('arn:', 'must be a KMS key ARN'),
    KEYLEDGER_TENANT_CLAIM: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
    KEYLEDGER_NAMESPACES: namespaceListSchema,
  })
  .and(dataPlaneLimitsSchema.transform((limits) => ({ limits })));

export function createCryptoDataPlaneLambda(env: Record<string, string | undefined>) {
  const config = parseConfig(configSchema, env);
  const logger = jsonLogger({ service: 'crypto-data-plane' });
  const dynamodb = new DynamoDBClient({});
  const eventStore = new DynamoDbEventStore({
    client: dynamodb,
    eventsTable: config.KEYLEDGER_EVENTS_TABLE,
    snapshotsTable: config.KEYLEDGER_SNAPSHOTS_TABLE,
  });
  const activity = new ActivityRecorder({ eventStore, logger });
  // The data plane reads the hierarchy (and provisions a tenant on its first call); the root key
  // store is called only on a cache miss, for a TMK.
  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore, { logger }),
    keyMaterial: new DynamoDbKeyMaterialStore({ client: dynamodb, tableName: config.KEYLEDGER_KEY_MATERIAL_TABLE }),
    rootKeyStore: new AuditedRootKeyStore(
      new KmsRootKeyStore({ client: new KMSClient({ maxAttempts: 1 }), keyId: config.KEYLEDGER_ROOT_KEY_ARN }),
      activity,
    ),
    namespaces: config.KEYLEDGER_NAMESPACES,
    logger,
  });
  const dataPlane = new CryptoDataPlane({ keyHierarchy, limits: config.limits, logger });
  const secrets = new SecretsService({ store: new DynamoDbSecretStore({ client: dynamodb, tableName: config.KEYLEDGER_SECRETS_TABLE }), dataPlane });
  const tenantClaim = config.KEYLEDGER_TENANT_CLAIM;
  return createServiceRouter(
    'crypto-data-plane',
    createCryptoDataPlaneHandlers({
      dataPlane,
      secrets,
      tenantClaim,
      logger,
      recordChanges: (handler) => recordApiCalls(handler, { activity, tenantClaim, logger }),
    }),
  );
}

export const handler = createCryptoDataPlaneLambda(process.env);
