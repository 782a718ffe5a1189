import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { Logger } from '@keyledger/domain';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { createTenantRepository, DEFAULT_TENANT_CLAIM, KeyHierarchyService, namespaceListSchema } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { KmsRootKeyStore } from '@keyledger/root-key-store';
import { z } from 'zod';
import { ActivityRecorder } from './activityRecorder';
import { AuditedRootKeyStore } from './auditedRootKeyStore';

/** The settings every Lambda that works on the key hierarchy reads (the CDK app sets them). */
export const awsKeyHierarchyConfig = {
  KEYLEDGER_EVENTS_TABLE: z.string().min(1),
  KEYLEDGER_SNAPSHOTS_TABLE: z.string().min(1),
  KEYLEDGER_KEY_MATERIAL_TABLE: z.string().min(1),
  KEYLEDGER_ROOT_KEY_ARN: z.string().startsWith('arn:', 'must be a KMS key ARN'),
  KEYLEDGER_TENANT_CLAIM: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
  KEYLEDGER_NAMESPACES: namespaceListSchema,
};

type AwsKeyHierarchyConfig = z.output<z.ZodObject<typeof awsKeyHierarchyConfig>>;

/**
 * The AWS adapters of the key hierarchy, as the Lambda composition roots wire them: DynamoDB
 * tables, the KMS root key store, and activity (sapi/fapi, root key store operations) written
 * to the event table, whose stream takes it to EventBridge.
 */
export function createAwsKeyHierarchy(config: AwsKeyHierarchyConfig, logger: Logger) {
  const dynamodb = new DynamoDBClient({});
  const eventStore = new DynamoDbEventStore({
    client: dynamodb,
    eventsTable: config.KEYLEDGER_EVENTS_TABLE,
    snapshotsTable: config.KEYLEDGER_SNAPSHOTS_TABLE,
  });
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
  return { dynamodb, eventStore, activity, keyHierarchy };
}
