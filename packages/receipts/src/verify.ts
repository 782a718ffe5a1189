import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JWK } from 'jose';
import { ReceiptInvalidError } from './errors';
import { destructionReceiptPayloadSchema, RECEIPT_ALG, RECEIPT_TYP, type DestructionReceiptHeader, type DestructionReceiptPayload } from './payload';

export { ReceiptInvalidError, type ReceiptInvalidReason } from './errors';
export * from './payload';

export interface VerifyReceiptOptions {
  /** When set, the receipt's `iss` must be exactly this. */
  issuer?: string;
}

/** `typ` compares case-insensitively and may carry the `application/` prefix (RFC 7515 §4.1.9). */
const isReceiptTyp = (typ: unknown) => typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === RECEIPT_TYP;

/**
 * Verifies a destruction receipt offline against a JWKS (the deployment's
 * `/.well-known/keyledger/receipt-keys.json`): ES256 only, the receipt `typ`, a kid the JWKS
 * lists, the signature, then the payload's shape. Throws a `ReceiptInvalidError` whose
 * `reason` and message say which check failed. Needs nothing but `jose` and `zod`.
 */
export async function verifyReceipt(
  jws: string,
  jwks: { keys: JWK[] },
  options: VerifyReceiptOptions = {},
): Promise<{ header: DestructionReceiptHeader; payload: DestructionReceiptPayload }> {
  const compact = jws.trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    if (compact.split('.').length !== 3) throw new Error('a compact JWS has three dot-separated parts');
    header = decodeProtectedHeader(compact);
  } catch (error) {
    throw new ReceiptInvalidError('malformed_jws', `Receipt is not a compact JWS: ${(error as Error).message}.`, { cause: error });
  }
  if (header.alg !== RECEIPT_ALG) throw new ReceiptInvalidError('wrong_alg', `Receipt algorithm is ${String(header.alg)}; only ${RECEIPT_ALG} is accepted.`);
  if (!isReceiptTyp(header.typ)) throw new ReceiptInvalidError('wrong_typ', `Receipt typ is ${String(header.typ)}, not ${RECEIPT_TYP}.`);
  const kid = header.kid;
  if (typeof kid !== 'string' || !jwks.keys.some((key) => key.kid === kid)) {
    throw new ReceiptInvalidError('unknown_kid', `Receipt is signed by key ${String(kid)}, which the JWKS does not list.`);
  }

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(compact, createLocalJWKSet(jwks), { algorithms: [RECEIPT_ALG] }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWKS_NO_MATCHING_KEY') throw new ReceiptInvalidError('unknown_kid', `No ${RECEIPT_ALG} signing key ${kid} in the JWKS.`, { cause: error });
    throw new ReceiptInvalidError('bad_signature', `Receipt signature does not verify under key ${kid}.`, { cause: error });
  }

  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch (error) {
    throw new ReceiptInvalidError('malformed_payload', 'Receipt payload is not JSON.', { cause: error });
  }
  const parsed = destructionReceiptPayloadSchema.safeParse(claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'payload';
    throw new ReceiptInvalidError('malformed_payload', `Receipt payload is malformed: ${where}: ${issue?.message ?? 'invalid'}.`, { cause: parsed.error });
  }
  const payload = parsed.data as DestructionReceiptPayload;
  if (payload.jti !== payload.request_id) {
    throw new ReceiptInvalidError('malformed_payload', `Receipt payload is malformed: jti (${payload.jti}) is not its request_id (${payload.request_id}).`);
  }
  if (options.issuer !== undefined && payload.iss !== options.issuer) {
    throw new ReceiptInvalidError('wrong_issuer', `Receipt issuer is ${payload.iss}, not ${options.issuer}.`);
  }
  return { header: { alg: RECEIPT_ALG, kid, typ: RECEIPT_TYP }, payload };
}
