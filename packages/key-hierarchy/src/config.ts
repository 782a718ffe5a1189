import { z } from 'zod';
import { NAMESPACE_PATTERN } from '@keyledger/domain';

export const DEFAULT_NAMESPACES = 'default,secrets';
export const DEFAULT_TENANT_CLAIM = 'tenant_id';

/** `KEYLEDGER_NAMESPACES`: comma-separated namespace names, each given a key per tenant. */
export const namespaceListSchema = z
  .string()
  .default(DEFAULT_NAMESPACES)
  .transform((value) => [...new Set(value.split(',').map((name) => name.trim()).filter(Boolean))])
  .refine((names) => names.length > 0, 'must name at least one namespace')
  .refine(
    (names) => names.every((name) => NAMESPACE_PATTERN.test(name)),
    'namespaces are 1-63 lowercase letters, digits, - or _, starting with a letter or digit',
  );

/** Parses configuration once at start-up; a bad value fails fast with the setting's name. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
  throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}
