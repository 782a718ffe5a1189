import { resolve } from 'node:path';
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

export const localConfigSchema = z.object({
  KEYLEDGER_PORT: port(8787),
  KEYLEDGER_HOST: z.string().default('127.0.0.1'),
  KEYLEDGER_DATA_DIR: z.string().min(1).default('.keyledger'),
  /** 0 picks a free port; set one to reach dynalite from other tools. */
  KEYLEDGER_DYNAMODB_PORT: port(0),
  KEYLEDGER_NAMESPACES: namespaceListSchema,
  KEYLEDGER_TENANT_CLAIM: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
  KEYLEDGER_JWT_AUDIENCE: z.string().min(1).default('keyledger'),
  KEYLEDGER_ROOT_KEY_STORE: z.enum(['software'], { message: "only 'software' is available locally so far" }).default('software'),
  /** Tenant of the admin token printed at start-up. */
  KEYLEDGER_DEV_TENANT: z.string().min(1).default('local'),
});

export type LocalConfig = z.output<typeof localConfigSchema> & { dataDir: string };

export function readLocalConfig(env: Record<string, string | undefined>): LocalConfig {
  const config = parseConfig(localConfigSchema, env);
  return { ...config, dataDir: resolve(config.KEYLEDGER_DATA_DIR) };
}
