/**
 * AWS composition root of key-admin: configuration from the environment the CDK app sets,
 * DynamoDB and KMS adapters, one handler for every key-admin route.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { createServiceRouter, jsonLogger } from '@keyledger/http';
import { createTenantRepository, DEFAULT_TENANT_CLAIM, KeyHierarchyService, namespaceListSchema, parseConfig } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { ActivityRecorder, AuditedRootKeyStore, recordApiCalls } from '@keyledger/outbox';
import { KmsRootKeyStore } from '@keyledger/root-key-store';
import { z } from 'zod';
import { createKeyAdminHandlers } from './handlers';

const configSchema = z.object({
  KEYLEDGER_EVENTS_TABLE: z.string().min(1),
  KEYLEDGER_SNAPSHOTS_TABLE: z.string().min(1),
  KEYLEDGER_KEY_MATERIAL_TABLE: z.string().min(1),
  KEYLEDGER_ROOT_KEY_ARN: z.string().startsWith('arn:', 'must be a KMS key ARN'),
  KEYLEDGER_TENANT_CLAIM: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
  KEYLEDGER_NAMESPACES: namespaceListSchema,
});

export function createKeyAdminLambda(env: Record<string, string | undefined>) {
  const config = parseConfig(configSchema, env);
  const logger = jsonLogger({ service: 'key-admin' });
  const dynamodb = new DynamoDBClient({});
  const eventStore = new DynamoDbEventStore({
    client: dynamodb,
    eventsTable: config.KEYLEDGER_EVENTS_TABLE,
    snapshotsTable: config.KEYLEDGER_SNAPSHOTS_TABLE,
  });
  // Activity (sapi/fapi, root key store operations) goes into the event table like any commit;
  // the table's stream takes it to EventBridge (outbox Lambda).
  const activity = new ActivityRecorder({ eventStore, logger });
  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore, { logger }),
    keyMaterial: new DynamoDbKeyMaterialStore({ client: dynamodb, tableName: config.KEYLEDGER_KEY_MATERIAL_TABLE }),
    // The store owns KMS retries (see KmsRootKeyStoreOptions), so the SDK does not retry too.
    rootKeyStore: new AuditedRootKeyStore(
      new KmsRootKeyStore({ client: new KMSClient({ maxAttempts: 1 }), keyId: config.KEYLEDGER_ROOT_KEY_ARN }),
      activity,
    ),
    namespaces: config.KEYLEDGER_NAMESPACES,
    logger,
  });
  const tenantClaim = config.KEYLEDGER_TENANT_CLAIM;
  return recordApiCalls(createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger })), {
    activity,
    tenantClaim,
    logger,
  });
}

export const handler = createKeyAdminLambda(process.env);
