import { base64Bytes, booleanParameter, wholeNumberParameter } from '@keyledger/http';
import { OAEP_HASHES } from '@keyledger/crypto';
import { formatDuration, isoDuration, isoInstant } from '@keyledger/settings';
import * as z from 'zod';

export { noQuery } from '@keyledger/http';

/** Auth0 pagination: page from 0, per_page 1..100 (default 50), include_totals. */
const paging = {
  page: wholeNumberParameter('page', { min: 0 }).default(0),
  per_page: wholeNumberParameter('per_page', { min: 1, max: 100 }).default(50),
  include_totals: booleanParameter('include_totals').default(false),
};
export const listKeysQuery = z.object(paging).strict();

/** The listing's paging, and `at`: the instant to list the hierarchy as of (not in the future: the handler checks it by the service's clock). */
export const listKeysAsOfQuery = z
  .object({
    ...paging,
    at: isoInstant('the instant to list the keys as of').meta({
      format: 'date-time',
      description: 'The instant: an ISO 8601 date-time with Z or an offset, e.g. 2026-06-30T00:00:00Z (an offset\'s + sent as %2B); not in the future.',
    }),
  })
  .strict();

export const kidPath = z.object({
  kid: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'kid may hold only letters, digits and . _ : -'),
});

/** Auth0's create body; keyledger creates only customer-provided root keys (the others come with the hierarchy). */
export const createKeyBody = z
  .object({
    // Auth0's enum also lists tenant-encryption-key, with no documented behaviour for it; in
    // keyledger those are the namespace keys, made by provisioning and by rekey.
    type: z.literal('customer-provided-root-key', {
      error: (issue) =>
        issue.input === 'tenant-encryption-key'
          ? "is 'tenant-encryption-key', which keyledger does not create on request: a tenant-encryption-key (one per namespace) is made at provisioning and replaced by POST /api/v2/keys/encryption/rekey; the type you can create is 'customer-provided-root-key'"
          : "must be 'customer-provided-root-key' (the other key types are created by the hierarchy itself)",
    }),
  })
  .strict();

export const wrappingKeyBody = z
  .object({
    oaep_hash: z.enum(OAEP_HASHES, { message: `must be one of ${OAEP_HASHES.join(', ')}` }).optional(),
  })
  .strict();

const TEN_YEARS_MS = 3_650 * 86_400_000;

/** The retention setting: an ISO 8601 duration of days, hours, minutes, seconds (stored as written, normalized), or null for off. */
export const retentionBody = z
  .object({
    auto_retire_after: z.union([
      z.null(),
      isoDuration({ minMs: 60_000, maxMs: TEN_YEARS_MS }).transform((ms) => formatDuration(ms)),
    ]),
  })
  .strict();

/** CKM_RSA_AES_KEY_WRAP output, standard base64 (padding required, no whitespace). */
export const importKeyBody = z
  .object({
    wrapped_key: base64Bytes('the wrapped key material', { maxBytes: 6144 }),
  })
  .strict();

/** A destruction request id, as the API makes them (`dr_<13 digits>_<hex>`). */
export const destructionRequestPath = z.object({
  id: z.string().regex(/^dr_\d{13}_[0-9a-f]{8,32}$/, 'id must be a destruction request id (dr_<13 digits>_<hex>)'),
});
