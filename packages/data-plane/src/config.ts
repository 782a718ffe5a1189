import { z } from 'zod';
import { DEFAULT_DATA_PLANE_LIMITS, type DataPlaneLimits } from './limits';

const whole = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number (${name})`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional();

/**
 * The data plane's cache settings, read once at start-up (KEYLEDGER_* environment variables);
 * unset ones take the defaults of limits.ts. The per-key message limit cannot exceed NIST
 * SP 800-38D's 2^32 invocations for random IVs.
 */
export const dataPlaneLimitsSchema = z
  .object({
    KEYLEDGER_KEY_STATE_TTL_MS: whole('milliseconds', 0, 3_600_000),
    KEYLEDGER_NAMESPACE_KEY_TTL_MS: whole('milliseconds', 0, 86_400_000),
    KEYLEDGER_MAX_NAMESPACE_KEYS: whole('keys', 1, 1_000_000),
    KEYLEDGER_DATA_KEY_MAX_MESSAGES: whole('messages', 1, 2 ** 32),
    KEYLEDGER_DATA_KEY_MAX_BYTES: whole('bytes', 1, 2 ** 40),
    KEYLEDGER_DATA_KEY_MAX_AGE_MS: whole('milliseconds', 0, 86_400_000),
  })
  .transform(
    (env): DataPlaneLimits => ({
      ...DEFAULT_DATA_PLANE_LIMITS,
      ...defined({
        keyStateTtlMs: env.KEYLEDGER_KEY_STATE_TTL_MS,
        namespaceKeyTtlMs: env.KEYLEDGER_NAMESPACE_KEY_TTL_MS,
        maxNamespaceKeys: env.KEYLEDGER_MAX_NAMESPACE_KEYS,
        dataKeyMaxMessages: env.KEYLEDGER_DATA_KEY_MAX_MESSAGES,
        dataKeyMaxBytes: env.KEYLEDGER_DATA_KEY_MAX_BYTES,
        dataKeyMaxAgeMs: env.KEYLEDGER_DATA_KEY_MAX_AGE_MS,
      }),
    }),
  );

function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
