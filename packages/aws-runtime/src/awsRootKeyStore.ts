import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KmsRootKeyStore, type RootKeyStore } from '@keyledger/root-key-store';
import { envName, readSettings, requireSetting, type Environment, type SettingValues } from '@keyledger/settings';

const ROOT_KEY_SETTINGS = [
  'rootKeyStore',
  'rootKeyArn',
  'deployment',
  'pkcs11Library',
  'pkcs11TokenLabel',
  'pkcs11RootKeyLabel',
  'pkcs11PinSecretArn',
] as const;
export type AwsRootKeySettings = SettingValues<(typeof ROOT_KEY_SETTINGS)[number]> & { rootKeyStore: 'kms' | 'pkcs11' };

/** The root key settings of a Lambda (kms unless set), with what its store needs required: kms needs the key, pkcs11 the PIN secret. */
export function readAwsRootKeySettings(env: Environment): AwsRootKeySettings {
  const chosen = env[envName('rootKeyStore')];
  requireSetting(chosen === undefined || chosen === 'kms' || chosen === 'pkcs11', 'rootKeyStore', "must be 'kms' or 'pkcs11' in AWS (the software store is for local development only)");
  const read = readSettings(ROOT_KEY_SETTINGS, env);
  const rootKeyStore = read.rootKeyStore ?? 'kms';
  const settings = { ...read, rootKeyStore: rootKeyStore as 'kms' | 'pkcs11' };
  requireSetting(settings.rootKeyStore !== 'kms' || !!settings.rootKeyArn, 'rootKeyArn', 'is required when KEYLEDGER_ROOT_KEY_STORE=kms');
  requireSetting(settings.rootKeyStore !== 'pkcs11' || !!settings.pkcs11PinSecretArn, 'pkcs11PinSecretArn', 'is required when KEYLEDGER_ROOT_KEY_STORE=pkcs11');
  return settings;
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
export async function createAwsRootKeyStore(settings: AwsRootKeySettings, clients: AwsClients = {}): Promise<RootKeyStore> {
  if (settings.rootKeyStore === 'kms') {
    return new KmsRootKeyStore({
      // The store owns KMS retries (see KmsRootKeyStoreOptions), so the SDK does not retry too.
      client: clients.kms ?? new KMSClient({ maxAttempts: 1 }),
      keyId: settings.rootKeyArn!,
      customerKeyTags: settings.deployment ? { 'keyledger:deployment': settings.deployment } : undefined,
    });
  }
  const secretsManager = clients.secretsManager ?? new SecretsManagerClient({});
  const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: settings.pkcs11PinSecretArn }));
  if (!secret.SecretString) throw new Error('The PKCS#11 PIN secret has no string value; store the PIN as `<user>:<password>` text.');
  const { Pkcs11RootKeyStore } = await import('@keyledger/root-key-store/pkcs11');
  return Pkcs11RootKeyStore.open({
    library: settings.pkcs11Library,
    tokenLabel: settings.pkcs11TokenLabel,
    pin: secret.SecretString,
    rootKeyLabel: settings.pkcs11RootKeyLabel,
    // Concurrent cold starts must not each create a root key: the operator creates it once.
    createRootKey: false,
  });
}
