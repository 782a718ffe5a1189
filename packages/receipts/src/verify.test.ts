import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { CompactSign, exportJWK, type JWK } from 'jose';
import { ReceiptInvalidError } from './errors';
import { RECEIPT_TYP } from './payload';
import { claims } from './testing/receiptClaims';
import { verifyReceipt } from './verify';

const ISSUER = 'https://keyledger.example.com';
const payload = { iss: ISSUER, iat: 1_767_312_005, jti: 'dr_1', ...claims() };
const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function receiptKey(kid: string): Promise<{ privateKey: KeyObject; jwk: JWK }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

let key: Awaited<ReturnType<typeof receiptKey>>;
let jwks: { keys: JWK[] };
const sign = (body: unknown, header: Record<string, unknown> = {}, signingKey = key.privateKey) =>
  new CompactSign(encode(body)).setProtectedHeader({ alg: 'ES256', kid: 'rk_1', typ: RECEIPT_TYP, ...header }).sign(signingKey);
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as ReceiptInvalidError);

beforeAll(async () => {
  key = await receiptKey('rk_1');
  jwks = { keys: [key.jwk] };
});

describe('verifyReceipt', () => {
  it('accepts a receipt, whitespace around it too, and checks the issuer when asked', async () => {
    const jws = await sign(payload);
    await expect(verifyReceipt(`\n ${jws}\n`, jwks, { issuer: ISSUER })).resolves.toEqual({ header: { alg: 'ES256', kid: 'rk_1', typ: RECEIPT_TYP }, payload });
    await expect(verifyReceipt(jws, jwks, { issuer: 'https://other.example.com' })).rejects.toMatchObject({ reason: 'wrong_issuer' });
  });

  it('refuses a tampered payload: bad signature', async () => {
    const [header, , signature] = (await sign(payload)).split('.');
    const error = await refusal(verifyReceipt(`${header}.${b64url({ ...payload, tenant: 'other' })}.${signature}`, jwks));
    expect(error).toBeInstanceOf(ReceiptInvalidError);
    expect(error).toMatchObject({ reason: 'bad_signature', message: 'Receipt signature does not verify under key rk_1.' });
  });

  it('refuses a receipt signed by a key the JWKS does not list, or by another key under a listed kid', async () => {
    const stranger = await receiptKey('rk_2');
    expect(await refusal(verifyReceipt(await sign(payload, { kid: 'rk_2' }, stranger.privateKey), jwks))).toMatchObject({ reason: 'unknown_kid', message: expect.stringContaining('rk_2') });
    expect(await refusal(verifyReceipt(await sign(payload, { kid: undefined }), jwks))).toMatchObject({ reason: 'unknown_kid' });
    expect(await refusal(verifyReceipt(await sign(payload, {}, stranger.privateKey), jwks))).toMatchObject({ reason: 'bad_signature' });
  });

  it('refuses another typ, and accepts the application/ form of its own', async () => {
    expect(await refusal(verifyReceipt(await sign(payload, { typ: 'JWT' }), jwks))).toMatchObject({ reason: 'wrong_typ', message: expect.stringContaining('JWT') });
    expect(await refusal(verifyReceipt(await sign(payload, { typ: undefined }), jwks))).toMatchObject({ reason: 'wrong_typ' });
    await expect(verifyReceipt(await sign(payload, { typ: `application/${RECEIPT_TYP}` }), jwks)).resolves.toBeDefined();
  });

  it('refuses alg none, HS256 (even keyed with the public JWK) and ES384', async () => {
    const unsigned = `${b64url({ alg: 'none', kid: 'rk_1', typ: RECEIPT_TYP })}.${b64url(payload)}.`;
    expect(await refusal(verifyReceipt(unsigned, jwks))).toMatchObject({ reason: 'wrong_alg', message: 'Receipt algorithm is none; only ES256 is accepted.' });
    const hmacKey = encode(JSON.stringify(key.jwk));
    const hs256 = await new CompactSign(encode(payload)).setProtectedHeader({ alg: 'HS256', kid: 'rk_1', typ: RECEIPT_TYP }).sign(hmacKey);
    expect(await refusal(verifyReceipt(hs256, jwks))).toMatchObject({ reason: 'wrong_alg' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const es384 = await new CompactSign(encode(payload)).setProtectedHeader({ alg: 'ES384', kid: 'rk_1', typ: RECEIPT_TYP }).sign(p384);
    expect(await refusal(verifyReceipt(es384, jwks))).toMatchObject({ reason: 'wrong_alg' });
  });

  it('refuses what is not a compact JWS, and a signed payload that is not a receipt', async () => {
    for (const garbage of ['', 'abc', 'a.b', `${randomBytes(8).toString('hex')}.x.y`]) {
      expect(await refusal(verifyReceipt(garbage, jwks))).toMatchObject({ reason: 'malformed_jws' });
    }
    expect(await refusal(verifyReceipt(await sign('not json'), jwks))).toMatchObject({ reason: 'malformed_payload', message: 'Receipt payload is not JSON.' });
    const { keys: _keys, ...withoutKeys } = payload;
    expect(await refusal(verifyReceipt(await sign(withoutKeys), jwks))).toMatchObject({ reason: 'malformed_payload', message: expect.stringContaining('keys') });
    expect(await refusal(verifyReceipt(await sign({ ...payload, action: 'burn' }), jwks))).toMatchObject({ reason: 'malformed_payload', message: expect.stringContaining('action') });
    expect(await refusal(verifyReceipt(await sign({ ...payload, jti: 'dr_2' }), jwks))).toMatchObject({ reason: 'malformed_payload', message: expect.stringContaining('jti (dr_2) is not its request_id') });
  });
});
