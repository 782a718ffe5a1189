import { KEY_STATES, KEY_TYPES } from '@keyledger/domain';
import { responsesOf } from '@keyledger/http';
import * as z from 'zod';
import type { KEY_ADMIN_CONTRACT } from './contract';

const timestamp = z.string().meta({ format: 'date-time' });

/** A key as the Auth0 Management API shows it (keyledger adds `namespace`). */
export const encryptionKeySchema = z
  .strictObject({
    kid: z.string(),
    type: z.enum(KEY_TYPES),
    state: z.enum(KEY_STATES),
    created_at: timestamp,
    updated_at: timestamp,
    parent_kid: z.string().nullable(),
    public_key: z.string().nullable(),
    namespace: z.string().nullable().meta({ description: 'keyledger: the namespace of a tenant-encryption-key (a namespace key), else null.' }),
  })
  .meta({ id: 'EncryptionKey' });

const keyList = z.union([
  z.array(encryptionKeySchema),
  z.strictObject({ start: z.number().int(), limit: z.number().int(), total: z.number().int(), keys: z.array(encryptionKeySchema) }),
]);

const wrappingKey = z.strictObject({
  public_key: z.string().meta({ description: 'PEM, RSA 3072 (SPKI).' }),
  algorithm: z.literal('CKM_RSA_AES_KEY_WRAP'),
  oaep_hash: z.enum(['sha256', 'sha1']),
  expires_at: timestamp,
});

const usage = z.strictObject({
  kid: z.string(),
  state: z.enum(KEY_STATES),
  secret_versions: z.number().int(),
  last_decrypt_at: timestamp.nullable(),
  decrypts: z.number().int(),
});

const retention = z.strictObject({ auto_retire_after: z.string().nullable() });

/** A destruction request (DESIGN.md, the DELETE table). */
export const destructionRequestSchema = z
  .strictObject({
    id: z.string(),
    action: z.enum(['retire_key', 'delete_cprk', 'shred_tenant']),
    kids: z.array(z.string()),
    requested_by: z.strictObject({ sub: z.string(), client_id: z.string().nullable() }),
    requested_at: timestamp,
    approvals: z.array(z.strictObject({ sub: z.string(), at: timestamp })),
    required_approvals: z.number().int(),
    scheduled_for: timestamp,
    expires_at: timestamp,
    state: z.enum(['pending', 'approved', 'cancelled', 'expired', 'executed', 'failed']),
    finished_at: timestamp.nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'DestructionRequest' });

/** What each key-admin operation answers (the OpenAPI document; not bundled into the Lambda). */
export const KEY_ADMIN_RESPONSES = responsesOf<typeof KEY_ADMIN_CONTRACT>()({
  listEncryptionKeys: { 200: { description: 'The tenant\'s keys, newest first (with include_totals: `{start, limit, total, keys}`).', schema: keyList } },
  listEncryptionKeysAsOf: {
    200: {
      description: 'The tenant\'s keys as the listing showed them at `at` (each key\'s state, parent and root key then), newest first, paged like the listing; an empty list before the tenant\'s first key.',
      schema: keyList,
    },
  },
  getEncryptionKey: { 200: { description: 'The key, live or destroyed.', schema: encryptionKeySchema } },
  rekey: { 204: { description: 'Rekeyed: a new TMK and namespace keys; the old TMK destroyed.' } },
  createEncryptionKey: { 201: { description: 'A customer-provided root key in pre-activation.', schema: encryptionKeySchema } },
  createWrappingKey: { 201: { description: 'The public wrapping key to wrap the key material with.', schema: wrappingKey } },
  importEncryptionKey: { 201: { description: 'The customer-provided root key, now active.', schema: encryptionKeySchema } },
  deleteEncryptionKey: {
    202: { description: 'A destruction policy is in force: the destruction waits in this request (or in the live one that already names the key).', schema: destructionRequestSchema },
    204: { description: 'Destroyed (or already destroyed).' },
  },
  getKeyUsage: { 200: { description: 'What depends on the key.', schema: usage } },
  getKeyRetention: { 200: { description: 'The tenant\'s retention setting.', schema: retention } },
  setKeyRetention: { 200: { description: 'The retention setting as stored.', schema: retention } },
  listDestructionRequests: { 200: { description: 'Live requests, then the newest finished ones (at most 100 in all).', schema: z.strictObject({ requests: z.array(destructionRequestSchema) }) } },
  getDestructionRequest: { 200: { description: 'The request.', schema: destructionRequestSchema } },
  approveDestructionRequest: { 200: { description: 'The request with this approval (approved once enough have come).', schema: destructionRequestSchema } },
  cancelDestructionRequest: { 200: { description: 'The request, cancelled.', schema: destructionRequestSchema } },
  getDestructionReceipt: {
    200: {
      description: 'The receipt: a compact JWS (ES256; header `kid`, `typ: keyledger-destruction-receipt+jwt`) over what was destroyed, by whom, when, and the audit chain head. Verify it with `keyledger receipts verify` or any JOSE library against /.well-known/keyledger/receipt-keys.json.',
      schema: z.strictObject({ receipt: z.string() }),
    },
  },
  shredTenant: {
    200: { description: 'No destruction policy is in force: the tenant is shredded; the request (executed) names its receipt (GET /v1/destruction-receipts/{id}).', schema: destructionRequestSchema },
    202: { description: 'A destruction policy is in force: the shred waits in this request (or the live one); its keys are unusable until it executes or is cancelled.', schema: destructionRequestSchema },
  },
});
