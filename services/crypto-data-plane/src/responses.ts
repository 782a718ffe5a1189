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

/** What each data-plane operation answers (the OpenAPI document; not bundled into the Lambda). */
export const CRYPTO_DATA_PLANE_RESPONSES = responsesOf<typeof CRYPTO_DATA_PLANE_CONTRACT>()({
  encrypt: { 200: { description: 'The envelope (or one result per batch item).', schema: answered(ciphertext) } },
  decrypt: { 200: { description: 'The plaintext (or one result per batch item).', schema: answered(z.strictObject({ plaintext: base64 })) } },
  rewrap: { 200: { description: 'The envelope under the namespace\'s active key.', schema: answered(ciphertext) } },
  generateDataKey: { 200: { description: 'A data key, in the clear and wrapped.', schema: z.strictObject({ plaintext_key: base64, ciphertext_key: base64, kid: z.string() }) } },
  listSecrets: {
      200: {
        description: 'Secret names with their latest version, by name.',
        schema: z.strictObject({ namespace: z.string(), secrets: z.array(z.strictObject({ name: z.string(), version: z.number().int() })), next: z.string().nullable() }),
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
        }),
      },
    },
  rotateSecret: { 201: { description: 'A new version with a generated value.', schema: z.strictObject({ ...secretVersion, value: z.string(), entropy_bits: z.number() }) } },
  reencryptSecrets: { 202: { description: 'The re-encryption job, started.', schema: job, headers: { location: 'The job: /v1/jobs/{id}.' } } },
  listJobs: { 200: { description: 'Jobs, newest first.', schema: z.strictObject({ jobs: z.array(job), next: z.string().nullable() }) } },
  getJob: { 200: { description: 'The job.', schema: job } },
});
