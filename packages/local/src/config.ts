import { resolve } from 'node:path';
import { dataPlaneLimitsSchema, type DataPlaneLimits } from '@keyledger/data-plane';
import { DEFAULT_TENANT_CLAIM, namespaceListSchema, parseConfig } from '@keyledger/key-hierarchy';
import { z } from 'zod';

const port = (fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(65535))
    .optional()
    .transform((value) => value ?? fallback);

/**
 * root-key-store.wrap / .unwrap: the root key store answers 'unavailable' for that operation.
 * crash-after-commit: the outbox publisher does not run, and the process kills itself right
 * after its first commit (the next start must publish it).
 */
export const FAULTS = ['root-key-store.wrap', 'root-key-store.unwrap', 'crash-after-commit'] as const;
export type Fault = (typeof FAULTS)[number];

export const localConfigSchema = z.object({
  KEYLEDGER_PORT: port(8787),
  KEYLEDGER_HOST: z.string().default('127.0.0.1'),
  KEYLEDGER_DATA_DIR: z.string().min(1).default('.keyledger'),
  /** 0 picks a free port; set one to reach dynalite from other tools. */
  KEYLEDGER_DYNAMODB_PORT: port(0),
  KEYLEDGER_NAMESPACES: namespaceListSchema,
  KEYLEDGER_TENANT_CLAIM: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
  KEYLEDGER_JWT_AUDIENCE: z.string().min(1).default('keyledger'),
  /** software: a dev-only key file in the data directory; pkcs11: an HSM token (SoftHSM2 locally). */
  KEYLEDGER_ROOT_KEY_STORE: z.enum(['software', 'pkcs11'], { message: "must be 'software' or 'pkcs11'" }).default('software'),
  KEYLEDGER_PKCS11_LIBRARY: z.string().min(1).default('/usr/lib/softhsm/libsofthsm2.so'),
  KEYLEDGER_PKCS11_TOKEN_LABEL: z.string().min(1).default('keyledger'),
  KEYLEDGER_PKCS11_PIN: z.string().min(1).optional(),
  /** Label of the ERK in the token; created on first start when absent. */
  KEYLEDGER_PKCS11_ROOT_KEY_LABEL: z.string().min(1).default('keyledger-erk'),
  /** Tenant of the admin token printed at start-up. */
  KEYLEDGER_DEV_TENANT: z.string().min(1).default('local'),
  /** `environment_name` of the tenant log entries. */
  KEYLEDGER_ENVIRONMENT_NAME: z.string().min(1).default('local'),
  /** A JSON file of local EventBridge-style rules (see docs/events/README.md). */
  KEYLEDGER_EVENT_RULES: z.string().min(1).optional(),
  /** How often the local outbox looks for commits it has not published (it is also woken by each commit). */
  KEYLEDGER_OUTBOX_POLL_MS: z
    .string()
    .regex(/^\d+$/, 'must be a number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().min(10).max(60_000))
    .optional()
    .transform((value) => value ?? 1_000),
  /** Fault injection for tests and demos only: a comma-separated list of FAULTS. */
  KEYLEDGER_FAULTS: z
    .string()
    .optional()
    .transform((value) => (value ?? '').split(',').map((fault) => fault.trim()).filter(Boolean))
    .pipe(z.array(z.enum(FAULTS, { message: `each fault must be one of ${FAULTS.join(', ')}` }))),
});

export type LocalConfig = z.output<typeof localConfigSchema> & { dataDir: string; dataPlaneLimits: DataPlaneLimits };

export function readLocalConfig(env: Record<string, string | undefined>): LocalConfig {
  const config = parseConfig(
    localConfigSchema.refine((value) => value.KEYLEDGER_ROOT_KEY_STORE !== 'pkcs11' || value.KEYLEDGER_PKCS11_PIN, {
      message: 'is required when KEYLEDGER_ROOT_KEY_STORE=pkcs11 (the user PIN of the token)',
      path: ['KEYLEDGER_PKCS11_PIN'],
    }),
    env,
  );
  return { ...config, dataDir: resolve(config.KEYLEDGER_DATA_DIR), dataPlaneLimits: parseConfig(dataPlaneLimitsSchema, env) };
}
