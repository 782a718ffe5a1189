import {
  MAX_BATCH_BYTES,
  MAX_BATCH_ITEMS,
  MAX_CONTEXT_ENTRIES,
  MAX_CONTEXT_KEY_LENGTH,
  MAX_CONTEXT_VALUE_LENGTH,
  MAX_ENVELOPE_OVERHEAD_BYTES,
  MAX_PLAINTEXT_BYTES,
  MAX_SECRET_VALUE_BYTES,
  ACCESS_RULE_MATCH_PATTERN,
  MAX_ACCESS_RULES,
  MAX_RULE_READERS,
  SECRET_ALPHABETS,
  SECRET_NAME_PATTERN,
} from '@keyledger/data-plane';
import { NAMESPACE_PATTERN } from '@keyledger/domain';
import { JOB_ID_PATTERN } from '@keyledger/jobs';
import { base64Bytes, batchable, describePath, isWellFormedText, wholeNumberParameter } from '@keyledger/http';
import { isoDuration } from '@keyledger/settings';
import type { EncryptionContext } from '@keyledger/crypto';
import * as z from 'zod';

export { noQuery } from '@keyledger/http';

const MAX_CIPHERTEXT_BYTES = MAX_ENVELOPE_OVERHEAD_BYTES + MAX_PLAINTEXT_BYTES;

const namespaceName = z
  .string()
  .regex(NAMESPACE_PATTERN, "is not a namespace name: 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit");

function contextEntryProblem(key: string, value: unknown): string | undefined {
  if (key.length === 0) return 'keys must not be empty';
  if (key.length > MAX_CONTEXT_KEY_LENGTH) return `keys are at most ${MAX_CONTEXT_KEY_LENGTH} characters`;
  if (!isWellFormedText(key)) return 'keys must be valid Unicode text (no lone surrogates)';
  if (typeof value !== 'string') return 'values must be strings';
  if (value.length > MAX_CONTEXT_VALUE_LENGTH) return `values are at most ${MAX_CONTEXT_VALUE_LENGTH} characters`;
  if (!isWellFormedText(value)) return 'values must be valid Unicode text (no lone surrogates)';
  return undefined;
}

/**
 * Caller context, bound into the AAD: a plain JSON object of own string keys and string values
 * (KMS's EncryptionContext). Checked key by key, so that every key binds, `__proto__` and
 * `constructor` like any other (a record schema would drop `__proto__`); the result has no
 * prototype. Keys and values must be valid Unicode text: a lone surrogate would turn into
 * U+FFFD in the AAD, and two different contexts into the same bytes.
 */
export const encryptionContext = z.unknown().transform((value, ctx): EncryptionContext => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object of string keys and string values' });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_CONTEXT_ENTRIES) {
    ctx.addIssue({ code: 'custom', message: `has more than ${MAX_CONTEXT_ENTRIES} entries` });
    return z.NEVER;
  }
  const context = Object.create(null) as Record<string, string>;
  for (const key of keys) {
    const entry: unknown = Object.getOwnPropertyDescriptor(value, key)?.value;
    const problem = contextEntryProblem(key, entry);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [describePath([key])] });
    else context[key] = entry as string;
  }
  return context;
}).meta({
  description: 'Additional authenticated data: every key and value binds the ciphertext (decrypt must send the same).',
  type: 'object',
  additionalProperties: { type: 'string' },
  maxProperties: MAX_CONTEXT_ENTRIES,
});

export const namespacePath = z.object({ ns: namespaceName });

export const encryptBody = z
  .object({
    plaintext: base64Bytes('the data to encrypt', { maxBytes: MAX_PLAINTEXT_BYTES, allowEmpty: true }),
    encryption_context: encryptionContext.optional(),
  })
  .strict();

export const decryptBody = z
  .object({
    ciphertext: base64Bytes('the envelope returned by encrypt', { maxBytes: MAX_CIPHERTEXT_BYTES }),
    encryption_context: encryptionContext.optional(),
  })
  .strict();

export const dataKeyBody = z.object({ encryption_context: encryptionContext.optional() }).strict();

/** Decoded bytes of an item's base64 field, counted from its text before anything is decoded. */
const base64Size = (field: string) => (raw: unknown) => {
  const value = (raw as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string') return 0;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return Math.floor((value.length * 3) / 4) - padding;
};
const batchLimits = (field: string) => ({ maxItems: MAX_BATCH_ITEMS, maxBytes: MAX_BATCH_BYTES, measure: base64Size(field) });

/** One item, or `{batch: [...]}` of at most MAX_BATCH_ITEMS items and MAX_BATCH_BYTES bytes. */
export const encryptRequest = batchable(encryptBody, batchLimits('plaintext'));
export const decryptRequest = batchable(decryptBody, batchLimits('ciphertext'));
export const rewrapRequest = decryptRequest;

export const jobPath = z.object({ id: z.string().regex(JOB_ID_PATTERN, 'is not a job id (rj_<13 digits>_<8 hex>)') });
export const listJobsQuery = z
  .object({
    from: z.string().regex(JOB_ID_PATTERN, 'from must be a job id (the next value of the previous page)').optional(),
    take: wholeNumberParameter('take', { min: 1, max: 100 }).default(20),
  })
  .strict();

export const secretPath = z.object({
  name: z.string().regex(SECRET_NAME_PATTERN, "is not a secret name: 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"),
});

const namespaceQuery = { namespace: namespaceName.default('secrets') };
const version = wholeNumberParameter('version', { min: 1 });

/** The context of a read, as a JSON object in the query string (a GET has no body). */
const contextQuery = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'encryption_context must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(encryptionContext);

export const getSecretQuery = z.object({ ...namespaceQuery, version: version.optional(), encryption_context: contextQuery.optional() }).strict();
export const deleteSecretQuery = z.object({ ...namespaceQuery, version: version.optional() }).strict();
export const namespaceOnlyQuery = z.object(namespaceQuery).strict();
export const listSecretsQuery = z
  .object({
    ...namespaceQuery,
    from: z.string().regex(SECRET_NAME_PATTERN, 'from must be a secret name (the next value of the previous page)').optional(),
    take: wholeNumberParameter('take', { min: 1, max: 100 }).default(50),
  })
  .strict();

const expectedVersion = z.number().int().min(0, 'must be 0 (the secret must not exist yet) or a version').optional();

export const putSecretBody = z
  .object({
    value: z
      .string({ message: 'is required: the secret value, a string' })
      .refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_SECRET_VALUE_BYTES, `is over the size limit of ${MAX_SECRET_VALUE_BYTES} bytes (UTF-8)`),
    encryption_context: encryptionContext.optional(),
    expected_version: expectedVersion,
  })
  .strict();

const ALPHABET_NAMES = Object.keys(SECRET_ALPHABETS) as [keyof typeof SECRET_ALPHABETS, ...Array<keyof typeof SECRET_ALPHABETS>];

const generated = {
  length: z.number().int().min(8, 'must be at least 8').max(4096, 'must be at most 4096').default(32),
  alphabet: z.enum(ALPHABET_NAMES, { message: `must be one of ${ALPHABET_NAMES.join(', ')}` }).default('alphanumeric'),
  /** Custom characters instead of a named alphabet. */
  characters: z
    .string()
    .refine((chars) => new Set(chars).size === [...chars].length, 'must not repeat a character')
    .refine((chars) => [...chars].length >= 2 && [...chars].length <= 256, 'must hold 2 to 256 characters')
    .optional(),
};

const HOUR_MS = 3_600_000;
const ROTATION_PERIOD = isoDuration({ minMs: HOUR_MS, maxMs: 3_650 * 24 * HOUR_MS });
export const secretRotationBody = z
  .object({
    period: z.string({ message: 'is required: an ISO 8601 duration of at least PT1H, e.g. P30D' }).superRefine((text, ctx) => {
      const parsed = ROTATION_PERIOD.safeParse(text);
      if (!parsed.success) ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'is not a period' });
    }),
    ...generated,
    keep: z.number().int().min(2, 'must be at least 2 (the new version and the one clients roll over from)').max(1_000, 'must be at most 1000').optional(),
  })
  .strict();

export const secretAuditBody = z.object({ audit: z.enum(['summary', 'every_read'], { message: "must be 'summary' or 'every_read'" }) }).strict();

const MAX_ACCESS_RULES_JSON = 32_768;
const reader = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
export const accessRulesBody = z
  .object({
    rules: z
      .array(
        z
          .object({
            match: z.string().regex(ACCESS_RULE_MATCH_PATTERN, "is not a glob over secret names: 1-256 letters, digits, '.', '_', '-' or '*' (any run of characters)"),
            read: z
              .object({
                clients: z.array(reader).max(MAX_RULE_READERS, `must hold at most ${MAX_RULE_READERS} clients`).default([]),
                subjects: z.array(reader).max(MAX_RULE_READERS, `must hold at most ${MAX_RULE_READERS} subjects`).default([]),
              })
              .strict(),
          })
          .strict(),
      )
      .max(MAX_ACCESS_RULES, `must hold at most ${MAX_ACCESS_RULES} rules`)
      // One item and one event carry them: DynamoDB items and EventBridge events are bounded.
      .refine((rules) => JSON.stringify(rules).length <= MAX_ACCESS_RULES_JSON, `must be at most ${MAX_ACCESS_RULES_JSON} characters of JSON in all`),
  })
  .strict();

export const secretUsageQuery = z
  .object({
    ...namespaceQuery,
    from: z.string().max(500, 'from must be the next value of the previous page').regex(/^\d{19}#[^#]*#[^#]*$/, 'from must be the next value of the previous page').optional(),
    take: wholeNumberParameter('take', { min: 1, max: 1000 }).default(100),
  })
  .strict();

export const rotateSecretBody = z
  .object({
    ...generated,
    encryption_context: encryptionContext.optional(),
    expected_version: expectedVersion,
  })
  .strict();
