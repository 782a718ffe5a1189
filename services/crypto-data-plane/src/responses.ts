import { errorBodySchema, responsesOf } from '@keyledger/http';
import { JOB_STATES } from '@keyledger/jobs';
import * as z from 'zod';
import type { CRYPTO_DATA_PLANE_CONTRACT } from './contract';

const timestamp = z.string().meta({ format: 'date-time' });
const base64 = z.string().meta({ contentEncoding: 'base64' });

/** One result, or one per batch item (a result or an error), in order. */
const answered = <T extends z.ZodType>(item: T) => z.union([item, z.strictObject({ batch: z.array(z.union([item, errorBodySchema])) })]);

const ciphertext = z.strictObject({ ciphertext: base64, kid: z.string() });
const job = z
  .strictObject({
    id: z.string(),
    type: z.literal('reencrypt-secrets'),
    state: z.enum(JOB_STATES),
    done: z.number().int(),
    total: z.number().int(),
    started_at: timestamp,
    finished_at: timestamp.nullable(),
    cause: z.enum(['rekey', 'manual']),
    namespaces: z.array(z.string()),
    details: z.record(z.string(), z.number()),
    error: z.string().nullable(),
  })
  .meta({ id: 'Job' });
const secretVersion = { name: z.string(), namespace: z.string(), version: z.number().int(), created_at: timestamp };
const rotationSummary = z
  .strictObject({ period: z.string(), last_rotated_at: timestamp.nullable(), next_rotation_at: timestamp })
  .nullable()
  .meta({ id: 'SecretRotationSummary', description: 'The rotation schedule, if the secret has one.' });
const rotation = z
  .strictObject({
    name: z.string(),
    namespace: z.string(),
    period: z.string(),
    length: z.number().int(),
    alphabet: z.string().nullable().describe('The named alphabet; null when custom characters are used.'),
    characters: z.string().nullable().describe('The custom characters; null with a named alphabet.'),
    keep: z.number().int().nullable(),
    last_rotated_at: timestamp.nullable(),
    last_version: z.number().int().nullable(),
    next_rotation_at: timestamp,
  })
  .meta({ id: 'SecretRotation' });
const accessRules = z
  .strictObject({
    namespace: z.string(),
    rules: z.array(z.strictObject({ match: z.string(), read: z.strictObject({ clients: z.array(z.string()), subjects: z.array(z.string()) }) })),
    updated_at: timestamp.nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'SecretAccessRules' });

/** What each data-plane operation answers (the OpenAPI document; not bundled into the Lambda). */
export const CRYPTO_DATA_PLANE_RESPONSES = responsesOf<typeof CRYPTO_DATA_PLANE_CONTRACT>()({
  encrypt: { 200: { description: 'The envelope (or one result per batch item).', schema: answered(ciphertext) } },
  decrypt: { 200: { description: 'The plaintext (or one result per batch item).', schema: answered(z.strictObject({ plaintext: base64 })) } },
  rewrap: { 200: { description: 'The envelope under the namespace\'s active key.', schema: answered(ciphertext) } },
  generateDataKey: { 200: { description: 'A data key, in the clear and wrapped.', schema: z.strictObject({ plaintext_key: base64, ciphertext_key: base64, kid: z.string() }) } },
  listSecrets: {
      200: {
        description: 'Secret names with their latest version, by name.',
        schema: z.strictObject({ namespace: z.string(), secrets: z.array(z.strictObject({ name: z.string(), version: z.number().int(), rotation: rotationSummary })), next: z.string().nullable() }),
      },
    },
  putSecret: { 201: { description: 'The new version.', schema: z.strictObject(secretVersion) } },
  getSecret: { 200: { description: 'The value of the latest (or the given) version.', schema: z.strictObject({ ...secretVersion, value: z.string() }) } },
  deleteSecret: { 204: { description: 'Deleted.' } },
  listSecretVersions: {
      200: {
        description: 'Every live version.',
        schema: z.strictObject({
          name: z.string(),
          namespace: z.string(),
          versions: z.array(z.strictObject({ version: z.number().int(), created_at: timestamp, created_by: z.string().nullable() })),
          rotation: rotationSummary,
          audit: z.enum(['summary', 'every_read']),
        }),
      },
    },
  rotateSecret: { 201: { description: 'A new version with a generated value.', schema: z.strictObject({ ...secretVersion, value: z.string(), entropy_bits: z.number() }) } },
  getSecretRotation: { 200: { description: 'The rotation schedule.', schema: rotation } },
  putSecretRotation: { 200: { description: 'The schedule now in force; the first rotation is one period from now.', schema: rotation } },
  deleteSecretRotation: { 204: { description: 'No schedule any more.' } },
  putSecretAudit: { 200: { description: 'The audit mode now in force.', schema: z.strictObject({ name: z.string(), namespace: z.string(), audit: z.enum(['summary', 'every_read']) }) } },
  getSecretUsage: {
    200: {
      description: 'Reads counted per version, client and subject (written every flush interval, or per read with every_read).',
      schema: z.strictObject({
        name: z.string(),
        namespace: z.string(),
        usage: z.array(z.strictObject({ version: z.number().int(), client_id: z.string().nullable(), subject: z.string().nullable(), reads: z.number().int(), first_read_at: timestamp, last_read_at: timestamp })),
        next: z.string().nullable(),
      }),
    },
  },
  getSecretAccessRules: { 200: { description: 'The rules, in order (none: any token with read:secrets reads every secret).', schema: accessRules } },
  putSecretAccessRules: { 200: { description: 'The rules now in force.', schema: accessRules } },
  reencryptSecrets: { 202: { description: 'The re-encryption job, started.', schema: job, headers: { location: 'The job: /v1/jobs/{id}.' } } },
  listJobs: { 200: { description: 'Jobs, newest first.', schema: z.strictObject({ jobs: z.array(job), next: z.string().nullable() }) } },
  getJob: { 200: { description: 'The job.', schema: job } },
});
