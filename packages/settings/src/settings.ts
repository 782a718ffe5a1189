import { TABLES, type TableKey } from '@keyledger/dynamodb';
import * as z from 'zod';
import { isoDuration } from './duration';
import { awsRegion, namespaceListSchema, nonEmpty, port, wholeNumber } from './schemas';

/**
 * One setting: the environment variable it is read from and how its text is parsed. What each
 * does is the comment above it (and the README's tables): comments, not strings, so that the
 * Lambda bundles do not carry the prose.
 */
export interface SettingDefinition<S extends z.ZodType = z.ZodType> {
  readonly env: string;
  readonly schema: S;
}

const setting = <S extends z.ZodType>(env: string, schema: S): SettingDefinition<S> => ({ env, schema });

export const DEFAULT_TENANT_CLAIM = 'tenant_id';
export const ROOT_KEY_STORES = ['software', 'kms', 'pkcs11'] as const;
/**
 * root-key-store.wrap / .unwrap: the store answers 'unavailable'; crash-after-commit: SIGKILL
 * after the first commit; crash-mid-job: SIGKILL inside a job, after a page's writes and before
 * its checkpoint; jobs-paused: jobs are created but not run (until a start without it);
 * key-material.delete-once: the first deletion of key material after a commit fails every try.
 */
export const FAULTS = ['root-key-store.wrap', 'root-key-store.unwrap', 'crash-after-commit', 'crash-mid-job', 'jobs-paused', 'key-material.delete-once'] as const;
export type Fault = (typeof FAULTS)[number];

const DAY_MS = 86_400_000;

/** Where CloudHSM's Client SDK 5 installs its PKCS#11 library (the layer the CDK app attaches puts it there). */
export const CLOUDHSM_PKCS11_LIBRARY = '/opt/cloudhsm/lib/libcloudhsm_pkcs11.so';

/** The settings every runtime shares (Lambdas and the local stack). */
const SHARED = {
  /** namespaces every tenant gets a key for; new ones are added on the tenant's next call */
  namespaces: setting('KEYLEDGER_NAMESPACES', namespaceListSchema),
  /** JWT claim naming the tenant */
  tenantClaim: setting('KEYLEDGER_TENANT_CLAIM', nonEmpty().default(DEFAULT_TENANT_CLAIM)),
  /** `environment_name` of log entries */
  environmentName: setting('KEYLEDGER_ENVIRONMENT_NAME', nonEmpty().default('local')),
  /** `software` (dev-only key file; the local default), `pkcs11` (an HSM token) or `kms` (AWS only; the default there) */
  rootKeyStore: setting('KEYLEDGER_ROOT_KEY_STORE', z.enum(ROOT_KEY_STORES, { message: "must be 'software', 'pkcs11' or 'kms'" }).optional()),
  /** kms: the environment root key */
  rootKeyArn: setting('KEYLEDGER_ROOT_KEY_ARN', z.string().startsWith('arn:', 'must be a KMS key ARN').optional()),
  /** local: the Region this stack plays in a multi-Region drill (its commits record it; with KEYLEDGER_WRITE_REGION another Region's, it serves reads only). In AWS, Lambda's AWS_REGION */
  region: setting('KEYLEDGER_REGION', awsRegion()),
  /** multi-Region (AWS): the one Region whose functions commit changes; the others serve reads and answer changes with 503 read_only_region */
  writeRegion: setting('KEYLEDGER_WRITE_REGION', awsRegion()),
  /** kms: tag value of this deployment's customer-provided keys (IAM lets it use only those) */
  deployment: setting('KEYLEDGER_DEPLOYMENT', nonEmpty().optional()),
  /** pkcs11: the PKCS#11 module (the CDK app sets CloudHSM's) */
  pkcs11Library: setting('KEYLEDGER_PKCS11_LIBRARY', nonEmpty().default('/usr/lib/softhsm/libsofthsm2.so')),
  /** pkcs11: the token to use */
  pkcs11TokenLabel: setting('KEYLEDGER_PKCS11_TOKEN_LABEL', nonEmpty().default('keyledger')),
  /** pkcs11, local: the token's user PIN */
  pkcs11Pin: setting('KEYLEDGER_PKCS11_PIN', nonEmpty().optional()),
  /** pkcs11, AWS: Secrets Manager secret whose string is the crypto user's PIN (`<user>:<password>`) */
  pkcs11PinSecretArn: setting('KEYLEDGER_PKCS11_PIN_SECRET_ARN', z.string().startsWith('arn:', 'must be a Secrets Manager secret ARN').optional()),
  /** pkcs11: the ERK's label in the token (created on first local start when absent) */
  pkcs11RootKeyLabel: setting('KEYLEDGER_PKCS11_ROOT_KEY_LABEL', nonEmpty().default('keyledger-erk')),
  /** AWS: the EventBridge bus the outbox publishes to */
  eventBusName: setting('KEYLEDGER_EVENT_BUS_NAME', nonEmpty()),
  /** AWS: the S3 bucket (Object Lock) that keeps the destruction ledger */
  destructionLedgerBucket: setting('KEYLEDGER_DESTRUCTION_LEDGER_BUCKET', nonEmpty()),
  /** AWS: the KMS HMAC key the ledger reader signs its pages with, and the re-apply function verifies them with */
  destructionLedgerMacKey: setting('KEYLEDGER_DESTRUCTION_LEDGER_MAC_KEY', z.string().startsWith('arn:', 'must be a KMS key ARN')),
  /** how long the data plane uses a tenant's hierarchy before reading it again (the bound, in AWS, on how soon it sees a rekey or a retirement) */
  keyStateTtlMs: setting('KEYLEDGER_KEY_STATE_TTL_MS', wholeNumber('milliseconds', { min: 0, max: 3_600_000 }).optional()),
  /** how long an unwrapped namespace key stays in memory */
  namespaceKeyTtlMs: setting('KEYLEDGER_NAMESPACE_KEY_TTL_MS', wholeNumber('milliseconds', { min: 0, max: 86_400_000 }).optional()),
  /** at most this many unwrapped namespace keys in memory */
  maxNamespaceKeys: setting('KEYLEDGER_MAX_NAMESPACE_KEYS', wholeNumber('keys', { min: 1, max: 1_000_000 }).optional()),
  /** messages one cached data key encrypts */
  dataKeyMaxMessages: setting('KEYLEDGER_DATA_KEY_MAX_MESSAGES', wholeNumber('messages', { min: 1, max: 2 ** 32 }).optional()),
  /** plaintext bytes one cached data key encrypts */
  dataKeyMaxBytes: setting('KEYLEDGER_DATA_KEY_MAX_BYTES', wholeNumber('bytes', { min: 1, max: 2 ** 40 }).optional()),
  /** how long a data key is reused, and kept for decryption */
  dataKeyMaxAgeMs: setting('KEYLEDGER_DATA_KEY_MAX_AGE_MS', wholeNumber('milliseconds', { min: 0, max: 86_400_000 }).optional()),
  /** how often the data plane writes the decrypt counts of deactivated keys and the secret_accessed summaries of secret reads (ISO 8601 duration) */
  usageFlushInterval: setting('KEYLEDGER_USAGE_FLUSH_INTERVAL', isoDuration({ minMs: 1_000, maxMs: DAY_MS }).prefault('PT60S')),
  /** a deactivated key is retired only after this long with no decrypt or rewrap (ISO 8601 duration; `PT0S` turns the check off) */
  retireQuietPeriod: setting('KEYLEDGER_RETIRE_QUIET_PERIOD', isoDuration({ maxMs: 3_650 * DAY_MS }).prefault('P7D')),
  /** how long a destructive call (CPRK delete, key retire, tenant shred) waits before it acts, as a destruction request that can be cancelled (ISO 8601 duration up to P30D; `PT0S`: at once, as Auth0 does) */
  destructionWaitingPeriod: setting('KEYLEDGER_DESTRUCTION_WAITING_PERIOD', isoDuration({ maxMs: 30 * DAY_MS }).prefault('PT0S')),
  /** approvals a destruction request needs from distinct subjects other than its requester (0-5; 0 with no waiting period: destructive calls act at once) */
  destructionApprovals: setting('KEYLEDGER_DESTRUCTION_APPROVALS', wholeNumber('approvals', { min: 0, max: 5 }).default(0)),
  /** a destruction request still missing approvals after this long expires (ISO 8601 duration) */
  destructionRequestTtl: setting('KEYLEDGER_DESTRUCTION_REQUEST_TTL', isoDuration({ minMs: 60_000, maxMs: 365 * DAY_MS }).prefault('P30D')),
  /** requests per second each tenant may send (`0`: no limit, the local default; the CDK app sets its `tenantRateLimit`, 200 by default) */
  rateLimit: setting('KEYLEDGER_RATE_LIMIT', wholeNumber('requests per second', { min: 0, max: 1_000_000 }).default(0)),
  /** requests a tenant may send at once after a quiet period (default: one second's worth, KEYLEDGER_RATE_LIMIT) */
  rateLimitBurst: setting('KEYLEDGER_RATE_LIMIT_BURST', wholeNumber('requests', { min: 1, max: 10_000_000 }).optional()),
} as const;

/** The local stack's own settings. */
const LOCAL = {
  /** HTTP port (`127.0.0.1` unless `KEYLEDGER_HOST`) */
  port: setting('KEYLEDGER_PORT', port().default(8787)),
  /** address the local server listens on */
  host: setting('KEYLEDGER_HOST', nonEmpty().default('127.0.0.1')),
  /** dynalite data, root key file, dev issuer key (all mode 0600/0700) */
  dataDir: setting('KEYLEDGER_DATA_DIR', nonEmpty().default('.keyledger')),
  /** dynalite's port (`0`: any free port), for poking at tables with the AWS CLI */
  dynamodbPort: setting('KEYLEDGER_DYNAMODB_PORT', port().default(0)),
  /** audience of dev tokens */
  jwtAudience: setting('KEYLEDGER_JWT_AUDIENCE', nonEmpty().default('keyledger')),
  /** tenant of the admin token printed at start-up */
  devTenant: setting('KEYLEDGER_DEV_TENANT', nonEmpty().default('local')),
  /** JSON file of local event rules (pattern → file or URL target), see docs/events */
  eventRules: setting('KEYLEDGER_EVENT_RULES', nonEmpty().optional()),
  /** how often the local outbox looks for unpublished commits (each commit also wakes it) */
  outboxPollMs: setting('KEYLEDGER_OUTBOX_POLL_MS', wholeNumber('milliseconds', { min: 10, max: 60_000 }).default(1_000)),
  /** a connection that has not sent a request's headers within this long is answered 408 and closed (ISO 8601 duration) */
  httpHeadersTimeout: setting('KEYLEDGER_HTTP_HEADERS_TIMEOUT', isoDuration({ minMs: 100, maxMs: 600_000 }).prefault('PT10S')),
  /** a request whose headers and body are not all received within this long is answered 408 and closed (ISO 8601 duration; at least the headers timeout) */
  httpRequestTimeout: setting('KEYLEDGER_HTTP_REQUEST_TIMEOUT', isoDuration({ minMs: 100, maxMs: 600_000 }).prefault('PT30S')),
  /** an idle kept-alive connection is closed after this long (ISO 8601 duration) */
  httpKeepAliveTimeout: setting('KEYLEDGER_HTTP_KEEP_ALIVE_TIMEOUT', isoDuration({ minMs: 100, maxMs: 600_000 }).prefault('PT5S')),
  /** open connections at most; the server closes further ones at once */
  httpMaxConnections: setting('KEYLEDGER_HTTP_MAX_CONNECTIONS', wholeNumber('connections', { min: 1, max: 65_536 }).default(256)),
  /** requests handled at once (pipelined ones included); further ones are answered 503 `server_busy` */
  httpMaxRequestsInFlight: setting('KEYLEDGER_HTTP_MAX_REQUESTS_IN_FLIGHT', wholeNumber('requests', { min: 1, max: 65_536 }).default(256)),
  /** request body bytes held in memory at once, over all requests; a request over it is answered 503 `server_busy` and closed */
  httpMaxBufferedBytes: setting('KEYLEDGER_HTTP_MAX_BUFFERED_BYTES', wholeNumber('bytes', { min: 1_048_576, max: 2 ** 32 }).default(32 * 1_048_576)),
  /** `1`: `POST /dev/clock {"advance":"P1D"}` moves the local stack's clock forward and runs its schedulers at once */
  devClock: setting('KEYLEDGER_DEV_CLOCK', z.enum(['0', '1'], { message: 'must be 0 or 1' }).default('0').transform((value) => value === '1')),
  /** tests and demos only: a comma-separated list of FAULTS (above) */
  faults: setting('KEYLEDGER_FAULTS', z
      .string()
      .optional()
      .transform((value) => (value ?? '').split(',').map((fault) => fault.trim()).filter(Boolean))
      .pipe(z.array(z.enum(FAULTS, { message: `each fault must be one of ${FAULTS.join(', ')}` })))),
} as const;

/** An empty variable counts as unset (`KEYLEDGER_TOKEN= keyledger ...`). */
const unlessEmpty = <S extends z.ZodType>(schema: S) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** The CLI's own settings (its default URL also uses KEYLEDGER_PORT). */
const CLI = {
  /** CLI: the keyledger base URL (default `http://127.0.0.1:<KEYLEDGER_PORT>`; in AWS the stack's `ApiUrl`) */
  url: setting('KEYLEDGER_URL', unlessEmpty(z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }))),
  /** CLI: the bearer token of its API calls (`keyledger token` mints a local one) */
  token: setting('KEYLEDGER_TOKEN', unlessEmpty(z.string())),
  /** CLI: the CloudHSM cluster `keyledger doctor` checks */
  cloudHsmClusterId: setting('KEYLEDGER_CLOUDHSM_CLUSTER_ID', unlessEmpty(z.string())),
} as const;

/** `KEYLEDGER_<NAME>_TABLE` for every table of tableDefinitions.ts: the physical names the CDK app gives each function. */
type TableSettingName = `${TableKey}Table`;
const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
const TABLE_SETTINGS = Object.fromEntries(
  (Object.keys(TABLES) as TableKey[]).map((key) => [
    `${key}Table`,
    // AWS: the table's physical name.
    setting(`KEYLEDGER_${snake(key)}_TABLE`, nonEmpty()),
  ]),
) as Record<TableSettingName, SettingDefinition<ReturnType<typeof nonEmpty>>>;

export const SETTINGS = { ...SHARED, ...LOCAL, ...CLI, ...TABLE_SETTINGS };
export type Settings = typeof SETTINGS;
export type SettingName = keyof Settings;
export type SettingValue<K extends SettingName> = z.output<Settings[K]['schema']>;
export type SettingValues<K extends SettingName> = { [P in K]: SettingValue<P> };
