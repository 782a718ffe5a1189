import { DEFAULT_TENANT_CLAIM, namespaceListSchema, SETTINGS, type SettingName } from '@keyledger/settings';
import * as z from 'zod';

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const ROOT_KEY_MODES = ['kms', 'kms-cloudhsm', 'pkcs11'] as const;
export type RootKeyMode = (typeof ROOT_KEY_MODES)[number];

const required = (name: string, example: string) => ({ error: (issue: { input: unknown }) => (issue.input === undefined ? `is required (e.g. -c ${name}=${example})` : undefined) });
const positiveInt = z.coerce.number().int().positive();
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * A context value the functions get as a setting: checked by that setting's own schema, passed
 * on as written. Unset, the functions use the setting's own default.
 */
const asSetting = (name: SettingName) =>
  z
    .string()
    .superRefine((value, context) => {
      const parsed = SETTINGS[name].schema.safeParse(value);
      if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message });
    })
    .optional();

/**
 * The CDK app's context (`-c name=value` or cdk.json), validated before any construct is made.
 * Values from the command line arrive as strings, so numbers are coerced.
 */
export const contextSchema = z
  .object({
    stage: z
      .string(required('stage', 'prod'))
      .regex(/^[a-z][a-z0-9-]{0,20}$/, "must be 1-21 lowercase letters, digits or '-', starting with a letter"),
    jwtIssuer: z.url(required('jwtIssuer', 'https://your-tenant.auth0.com/')).refine((url) => url.startsWith('https://'), 'must be an https:// URL'),
    jwtAudience: z.string(required('jwtAudience', 'keyledger')).min(1),
    tenantClaim: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
    rootKeyMode: z.enum(ROOT_KEY_MODES, {
      error: (issue) => (issue.input === undefined ? 'is required: kms, kms-cloudhsm or pkcs11 (e.g. -c rootKeyMode=kms)' : 'must be kms, kms-cloudhsm or pkcs11'),
    }),
    rootKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)')
      .optional(),
    cloudHsmClusterId: z.string().regex(/^cluster-[a-z0-9]+$/, 'must be a CloudHSM cluster id (cluster-...)').optional(),
    /** kms-cloudhsm: the secret holding `{kmsuserPassword, trustAnchorCertificate}` for the custom key store. */
    cloudHsmKeyStoreSecretName: z.string().min(1).optional(),
    /** pkcs11: the secret holding the crypto user's PIN (`<user>:<password>`). */
    pkcs11PinSecretName: z.string().min(1).optional(),
    /** pkcs11: a Lambda layer with CloudHSM's PKCS#11 library and pkcs11js for arm64 (see the README). */
    pkcs11LayerArn: z.string().regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[\w-]+:\d+$/, 'must be a Lambda layer version ARN').optional(),
    pkcs11TokenLabel: z.string().min(1).default('hsm1'),
    namespaces: namespaceListSchema,
    /**
     * Multi-Region (new deployments only): the write Region, and the Regions that replicate it
     * (comma-separated). Tables become DynamoDB global tables, the root and table keys
     * multi-Region KMS keys with a replica in each Region, and every Region runs the services,
     * bus and API; only the primary commits (docs/operations.md).
     */
    primaryRegion: z.string().regex(REGION, 'must be an AWS Region such as eu-west-1').optional(),
    replicaRegions: z
      .string()
      .transform((list) => list.split(',').map((region) => region.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(REGION, 'must be AWS Regions such as eu-central-1,us-east-1, comma-separated')))
      .default([]),
    /**
     * Multi-Region: the one Region that commits (KEYLEDGER_WRITE_REGION of every function);
     * default primaryRegion. Failover moves it, without moving the tables' or keys' primaries
     * (docs/operations.md).
     */
    writeRegion: z.string().regex(REGION, 'must be an AWS Region such as eu-west-1').optional(),
    /** KEYLEDGER_RETIRE_QUIET_PERIOD of the functions: how long a deactivated key must go unused before it is retired. */
    retireQuietPeriod: asSetting('retireQuietPeriod'),
    /** KEYLEDGER_DESTRUCTION_WAITING_PERIOD / _APPROVALS: destructive calls wait in a destruction request (default: at once). */
    destructionWaitingPeriod: asSetting('destructionWaitingPeriod'),
    destructionApprovals: asSetting('destructionApprovals'),
    /** KEYLEDGER_USAGE_FLUSH_INTERVAL of the data plane: how often the decrypt counts of deactivated keys are written. */
    usageFlushInterval: asSetting('usageFlushInterval'),
    /**
     * How long each destruction ledger object is locked (S3 Object Lock, compliance mode: nobody,
     * the root user included, can delete or shorten it). At least as long as any backup of the
     * tables is kept: a restore of an older backup needs the destructions made since.
     */
    destructionLedgerRetentionDays: z.coerce.number().int().min(35, 'must be at least 35 days (the longest point-in-time recovery window)').max(36_500).default(3653),
    logRetentionDays: z.coerce
      .number()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), `must be one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(365),
    /** An existing SNS topic for alarms; without it the app creates an encrypted one. */
    alarmTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN').optional(),
    alarmEmail: z.email().optional(),
    /** KEYLEDGER_RATE_LIMIT of the API functions: requests per second per tenant, in a bucket shared by all instances (`0`: off). */
    tenantRateLimit: z.coerce.number().int().min(0).max(1_000_000).default(200),
    /** KEYLEDGER_RATE_LIMIT_BURST: a tenant's bucket size (default: one second's worth). */
    tenantRateLimitBurst: positiveInt.optional(),
    apiThrottleRateLimit: positiveInt.default(500),
    apiThrottleBurstLimit: positiveInt.default(1000),
    /**
     * The admin dashboard's OIDC client: a Single Page Application (e.g. an Auth0 SPA app) whose
     * allowed callback, logout and web origins include the DashboardUrl output. Unset, the
     * dashboard's config.json has `"oidc": null` and the dashboard says how to set it.
     */
    dashboardClientId: z
      .string()
      .regex(/^[A-Za-z0-9._~:@-]{1,255}$/, "must be an OIDC client id: 1-255 letters, digits or '.', '_', '~', ':', '@', '-' (e.g. an Auth0 SPA app's Client ID)")
      .optional(),
  })
  .superRefine((context, issues) => {
    if (context.rootKeyMode !== 'kms' && !context.cloudHsmClusterId) {
      issues.addIssue({ code: 'custom', path: ['cloudHsmClusterId'], message: `is required when rootKeyMode=${context.rootKeyMode} (e.g. -c cloudHsmClusterId=cluster-abc123)` });
    }
    if (context.replicaRegions.length > 0) {
      if (!context.primaryRegion) issues.addIssue({ code: 'custom', path: ['primaryRegion'], message: 'is required with replicaRegions (the Region that writes, e.g. -c primaryRegion=eu-west-1)' });
      if (new Set(context.replicaRegions).size !== context.replicaRegions.length || context.replicaRegions.includes(context.primaryRegion ?? '')) {
        issues.addIssue({ code: 'custom', path: ['replicaRegions'], message: 'must be distinct Regions, none of them the primaryRegion' });
      }
      if (context.rootKeyMode !== 'kms') {
        issues.addIssue({
          code: 'custom',
          path: ['replicaRegions'],
          message: `needs rootKeyMode=kms (a multi-Region KMS key); rootKeyMode=${context.rootKeyMode} needs a CloudHSM cluster per Region, which this app does not deploy yet`,
        });
      }
      if (context.writeRegion && context.writeRegion !== context.primaryRegion && !context.replicaRegions.includes(context.writeRegion)) {
        issues.addIssue({ code: 'custom', path: ['writeRegion'], message: 'must be the primaryRegion or one of the replicaRegions' });
      }
      if (context.rootKeyArn) issues.addIssue({ code: 'custom', path: ['rootKeyArn'], message: 'cannot be used with replicaRegions: the app makes the multi-Region root key and its replicas' });
    }
    if (context.rootKeyMode !== 'kms' && context.rootKeyArn) {
      issues.addIssue({
        code: 'custom',
        path: ['rootKeyArn'],
        message: `applies to rootKeyMode=kms only (an existing key, CloudHSM-backed or not); rootKeyMode=${context.rootKeyMode} makes its own root key`,
      });
    }
  });

export type KeyledgerContext = z.output<typeof contextSchema>;

export const CONTEXT_KEYS = Object.keys(contextSchema.shape) as Array<keyof KeyledgerContext>;

/** Parses the context; every problem is listed with the context key it belongs to. */
export function parseContext(tryGetContext: (key: string) => unknown): KeyledgerContext {
  const raw = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, tryGetContext(key)]).filter(([, value]) => value !== undefined));
  const result = contextSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `-c ${issue.path.join('.') || '(context)'}: ${issue.message}`);
  throw new Error(`Invalid keyledger CDK context:\n  ${problems.join('\n  ')}`);
}

/** Secrets the operator creates before deploying, named per stage unless the context says otherwise. */
export function secretNames(context: KeyledgerContext) {
  return {
    cloudHsmKeyStore: context.cloudHsmKeyStoreSecretName ?? `keyledger/${context.stage}/cloudhsm-key-store`,
    pkcs11Pin: context.pkcs11PinSecretName ?? `keyledger/${context.stage}/cloudhsm-crypto-user`,
  };
}
