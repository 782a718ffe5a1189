import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@keyledger/domain';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { createTenantRepository, DEFAULT_TENANT_CLAIM, KeyHierarchyService, namespaceListSchema } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { KmsRootKeyStore, type RootKeyStore } from '@keyledger/root-key-store';
import { z } from 'zod';
import { ActivityRecorder } from './activityRecorder';
import { AuditedRootKeyStore } from './auditedRootKeyStore';

/** Where CloudHSM's Client SDK 5 installs its PKCS#11 library (the layer the CDK app attaches puts it there). */
export const CLOUDHSM_PKCS11_LIBRARY = '/opt/cloudhsm/lib/libcloudhsm_pkcs11.so';

/** The settings every Lambda that works on the key hierarchy reads (the CDK app sets them). */
export const awsKeyHierarchyConfig = {
  KEYLEDGER_EVENTS_TABLE: z.string().min(1),
  KEYLEDGER_SNAPSHOTS_TABLE: z.string().min(1),
  KEYLEDGER_KEY_MATERIAL_TABLE: z.string().min(1),
  KEYLEDGER_TENANT_CLAIM: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
  KEYLEDGER_NAMESPACES: namespaceListSchema,
  /** kms: the ERK is a KMS key (optionally in a CloudHSM custom key store); pkcs11: an AES key in CloudHSM itself. */
  KEYLEDGER_ROOT_KEY_STORE: z.enum(['kms', 'pkcs11'], { message: "must be 'kms' or 'pkcs11'" }).default('kms'),
  KEYLEDGER_ROOT_KEY_ARN: z.string().startsWith('arn:', 'must be a KMS key ARN').optional(),
  /** Tags every customer-provided KMS key; IAM lets this deployment's functions use only keys so tagged. */
  KEYLEDGER_DEPLOYMENT: z.string().min(1).optional(),
  KEYLEDGER_PKCS11_LIBRARY: z.string().min(1).default(CLOUDHSM_PKCS11_LIBRARY),
  KEYLEDGER_PKCS11_TOKEN_LABEL: z.string().min(1).default('hsm1'),
  KEYLEDGER_PKCS11_ROOT_KEY_LABEL: z.string().min(1).default('keyledger-erk'),
  /** A Secrets Manager secret whose string is the crypto user's PIN, `<user>:<password>` for CloudHSM. */
  KEYLEDGER_PKCS11_PIN_SECRET_ARN: z.string().startsWith('arn:', 'must be a Secrets Manager secret ARN').optional(),
};

type AwsKeyHierarchyConfig = z.output<z.ZodObject<typeof awsKeyHierarchyConfig>>;

/** The key hierarchy settings plus a Lambda's own, with the root key settings its store needs required. */
export function awsKeyHierarchySchema<Extra extends z.ZodRawShape>(extra: Extra) {
  return z.object({ ...awsKeyHierarchyConfig, ...extra }).superRefine((value, context) => {
    const config = value as AwsKeyHierarchyConfig;
    if (config.KEYLEDGER_ROOT_KEY_STORE === 'kms' && !config.KEYLEDGER_ROOT_KEY_ARN) {
      context.addIssue({ code: 'custom', path: ['KEYLEDGER_ROOT_KEY_ARN'], message: 'is required when KEYLEDGER_ROOT_KEY_STORE=kms' });
    }
    if (config.KEYLEDGER_ROOT_KEY_STORE === 'pkcs11' && !config.KEYLEDGER_PKCS11_PIN_SECRET_ARN) {
      context.addIssue({
        code: 'custom',
        path: ['KEYLEDGER_PKCS11_PIN_SECRET_ARN'],
        message: 'is required when KEYLEDGER_ROOT_KEY_STORE=pkcs11',
      });
    }
  });
}

export interface AwsClients {
  dynamodb?: DynamoDBClient;
  kms?: KMSClient;
  secretsManager?: SecretsManagerClient;
}

/**
 * The root key store a Lambda uses. KMS: the configured key, which the store calls with its own
 * retries. PKCS#11: the crypto user's PIN is read from Secrets Manager once per execution
 * environment and handed to the store, never logged; pkcs11js and the HSM's library come from
 * a Lambda layer, so the module is only loaded in this mode.
 */
export async function createAwsRootKeyStore(config: AwsKeyHierarchyConfig, clients: AwsClients = {}): Promise<RootKeyStore> {
  if (config.KEYLEDGER_ROOT_KEY_STORE === 'kms') {
    return new KmsRootKeyStore({
      // The store owns KMS retries (see KmsRootKeyStoreOptions), so the SDK does not retry too.
      client: clients.kms ?? new KMSClient({ maxAttempts: 1 }),
      keyId: config.KEYLEDGER_ROOT_KEY_ARN!,
      customerKeyTags: config.KEYLEDGER_DEPLOYMENT ? { 'keyledger:deployment': config.KEYLEDGER_DEPLOYMENT } : undefined,
    });
  }
  const secretsManager = clients.secretsManager ?? new SecretsManagerClient({});
  const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: config.KEYLEDGER_PKCS11_PIN_SECRET_ARN }));
  if (!secret.SecretString) throw new Error('The PKCS#11 PIN secret has no string value; store the PIN as `<user>:<password>` text.');
  const { Pkcs11RootKeyStore } = await import('@keyledger/root-key-store/src/pkcs11RootKeyStore');
  return Pkcs11RootKeyStore.open({
    library: config.KEYLEDGER_PKCS11_LIBRARY,
    tokenLabel: config.KEYLEDGER_PKCS11_TOKEN_LABEL,
    pin: secret.SecretString,
    rootKeyLabel: config.KEYLEDGER_PKCS11_ROOT_KEY_LABEL,
    // Concurrent cold starts must not each create a root key: the operator creates it once.
    createRootKey: false,
  });
}

/**
 * The AWS adapters of the key hierarchy, as the Lambda composition roots wire them: DynamoDB
 * tables, the root key store, and activity (sapi/fapi, root key store operations) written to the
 * event table, whose stream takes it to EventBridge.
 */
export async function createAwsKeyHierarchy(config: AwsKeyHierarchyConfig, logger: Logger, clients: AwsClients = {}) {
  const dynamodb = clients.dynamodb ?? new DynamoDBClient({});
  const eventStore = new DynamoDbEventStore({
    client: dynamodb,
    eventsTable: config.KEYLEDGER_EVENTS_TABLE,
    snapshotsTable: config.KEYLEDGER_SNAPSHOTS_TABLE,
  });
  const activity = new ActivityRecorder({ eventStore, logger });
  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore, { logger }),
    keyMaterial: new DynamoDbKeyMaterialStore({ client: dynamodb, tableName: config.KEYLEDGER_KEY_MATERIAL_TABLE }),
    rootKeyStore: new AuditedRootKeyStore(await createAwsRootKeyStore(config, clients), activity),
    namespaces: config.KEYLEDGER_NAMESPACES,
    logger,
  });
  return { dynamodb, eventStore, activity, keyHierarchy };
}
