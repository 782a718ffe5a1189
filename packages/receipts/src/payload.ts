import * as z from 'zod';

/** The JWS `typ` of every destruction receipt (RFC 8725 §3.11: explicit typing). */
export const RECEIPT_TYP = 'keyledger-destruction-receipt+jwt';
/** The only algorithm receipts are signed with, and the only one verification accepts. */
export const RECEIPT_ALG = 'ES256';

const instant = z.string().min(1);

/** The claims of a destruction receipt, as verification checks them. Unknown claims are kept. */
export const destructionReceiptPayloadSchema = z.looseObject({
  iss: z.string().min(1),
  iat: z.number().int().nonnegative(),
  jti: z.string().min(1),
  request_id: z.string().min(1),
  tenant: z.string().min(1),
  action: z.enum(['retire_key', 'delete_cprk', 'shred_tenant']),
  keys: z.array(z.looseObject({ kid: z.string(), type: z.string(), fingerprint: z.string().nullable(), state_before: z.string() })),
  requested_by: z.looseObject({ sub: z.string(), client_id: z.string().nullable() }),
  requested_at: instant,
  approved_by: z.array(z.looseObject({ sub: z.string(), at: instant })),
  required_approvals: z.number().int().nonnegative(),
  scheduled_for: instant,
  executed_at: instant,
  audit_chain_head: z.looseObject({ seq: z.number().int().nonnegative(), hash: z.string() }).nullable(),
  root_key_store_operations: z.array(z.looseObject({ kid: z.string(), operation: z.string(), detail: z.string() })),
  deleted: z.record(z.string(), z.number().int().nonnegative()),
});

/**
 * What a destruction receipt says: which request destroyed which keys, who asked and who
 * approved, when it ran, the tenant's audit chain head after it, and what the root key store
 * did. `jti` is the request id; `iat` is in seconds.
 */
export interface DestructionReceiptPayload {
  iss: string;
  iat: number;
  jti: string;
  request_id: string;
  tenant: string;
  action: 'retire_key' | 'delete_cprk' | 'shred_tenant';
  keys: Array<{ kid: string; type: string; fingerprint: string | null; state_before: string }>;
  requested_by: { sub: string; client_id: string | null };
  requested_at: string;
  approved_by: Array<{ sub: string; at: string }>;
  required_approvals: number;
  scheduled_for: string;
  executed_at: string;
  audit_chain_head: { seq: number; hash: string } | null;
  root_key_store_operations: Array<{ kid: string; operation: string; detail: string }>;
  /** Counts of what was deleted, e.g. `{ secret_versions: 3 }`. */
  deleted: Record<string, number>;
}

/** What `ReceiptSigner.sign` takes: the signer sets `iss`, `iat` and `jti` (= `request_id`). */
export type DestructionReceiptClaims = Omit<DestructionReceiptPayload, 'iss' | 'iat' | 'jti'>;

/** The protected header of a destruction receipt. */
export interface DestructionReceiptHeader {
  alg: typeof RECEIPT_ALG;
  kid: string;
  typ: typeof RECEIPT_TYP;
}
