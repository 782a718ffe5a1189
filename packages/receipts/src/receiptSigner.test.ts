import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ensureTables, RECEIPT_KEYS_PARTITION, startLocalDynamoDb, tableNames, type LocalDynamoDb } from '@keyledger/dynamodb';
import { SoftwareRootKeyStore, type RootKeyStore } from '@keyledger/root-key-store';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { DynamoDbReceiptKeyRepository } from './dynamoDbReceiptKeyRepository';
import { ReceiptKeyExistsError } from './errors';
import { DEFAULT_RECEIPT_KEY_ROTATION_MS, ReceiptSigner } from './receiptSigner';
import { claims } from './testing/receiptClaims';
import { verifyReceipt } from './verify';

const ISSUER = 'https://keyledger.example.com';

let dynamo: LocalDynamoDb;
let dir: string;
let rootKeyStore: RootKeyStore;
let tableName: string;
let partition = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  dir = await mkdtemp(join(tmpdir(), 'keyledger-receipts-'));
  rootKeyStore = await SoftwareRootKeyStore.openOrCreate(join(dir, 'root-key.json'));
});
afterAll(async () => {
  await dynamo.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Each test gets tables of its own, so that it sees only its own receipt keys. */
async function freshTable(): Promise<string> {
  const tables = tableNames(`receipts-${(partition += 1)}`);
  await ensureTables(dynamo.client, tables);
  return tables.keyCatalog;
}

function counting(store: RootKeyStore) {
  const calls = { wrap: 0, unwrap: 0 };
  const counted: RootKeyStore = Object.create(store) as RootKeyStore;
  counted.wrapKey = (input) => ((calls.wrap += 1), store.wrapKey(input));
  counted.unwrapKey = (input) => ((calls.unwrap += 1), store.unwrapKey(input));
  return { store: counted, calls };
}

const signer = (options: { rootKeyStore?: RootKeyStore; clock?: () => Date; rotationMs?: number } = {}) =>
  new ReceiptSigner({ keys: new DynamoDbReceiptKeyRepository({ client: dynamo.client, tableName }), rootKeyStore: options.rootKeyStore ?? rootKeyStore, issuer: ISSUER, ...options });

beforeEach(async () => {
  tableName = await freshTable();
});

describe('ReceiptSigner against dynalite and the software root key store', () => {
  it('signs a receipt that verifyReceipt, plain jose and node:crypto all verify', async () => {
    const receipts = signer({ clock: () => new Date('2026-01-02T00:00:06.500Z') });
    const jws = await receipts.sign(claims());
    const jwks = await receipts.jwks();

    const { header, payload } = await verifyReceipt(jws, jwks, { issuer: ISSUER });
    expect(header).toEqual({ alg: 'ES256', kid: jwks.keys[0]!.kid, typ: 'keyledger-destruction-receipt+jwt' });
    expect(payload).toEqual({ iss: ISSUER, iat: Date.parse('2026-01-02T00:00:06Z') / 1000, jti: 'dr_1', ...claims() });

    const viaJose = await compactVerify(jws, createLocalJWKSet(jwks));
    expect(viaJose.protectedHeader).toEqual(header);
    expect(JSON.parse(new TextDecoder().decode(viaJose.payload))).toEqual(payload);

    const [encodedHeader, encodedPayload, signature] = jws.split('.') as [string, string, string];
    const key: KeyObject = createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' });
    const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`);
    expect(verifySignature('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(verifySignature('sha256', Buffer.from(`${encodedHeader}.x${encodedPayload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(false);
  });

  it('refuses claims that would not verify, before signing', async () => {
    await expect(signer().sign({ ...claims(), action: 'burn' as never })).rejects.toMatchObject({ code: 'validation_error' });
  });

  it('rotates once the key is rotationMs old; the JWKS keeps the old key, so old receipts still verify', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const receipts = signer({ clock: () => now });
    const first = await receipts.sign(claims('dr_1'));
    now = new Date(now.getTime() + DEFAULT_RECEIPT_KEY_ROTATION_MS - 1);
    const stillFirst = await receipts.sign(claims('dr_2'));
    now = new Date(now.getTime() + 1);
    const second = await receipts.sign(claims('dr_3'));

    const [k1, k1again, k2] = [first, stillFirst, second].map((jws) => decodeProtectedHeader(jws).kid);
    expect(k1again).toBe(k1);
    expect(k2).not.toBe(k1);
    expect(k2! > k1!).toBe(true);
    const jwks = await receipts.jwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual([k2, k1]);
    for (const jws of [first, stillFirst, second]) await expect(verifyReceipt(jws, jwks)).resolves.toBeDefined();

    now = new Date(now.getTime() + 1);
    const forced = await receipts.rotate();
    expect(decodeProtectedHeader(await receipts.sign(claims('dr_4'))).kid).toBe(forced);
    expect((await receipts.jwks()).keys.map((key) => key.kid)).toEqual([forced, k2, k1]);
  });

  it('stores no private key in the clear; a new process signs with the same key after one unwrap', async () => {
    const a = counting(rootKeyStore);
    const first = signer({ rootKeyStore: a.store });
    const jws1 = await first.sign(claims('dr_1'));
    await first.sign(claims('dr_2'));
    expect(a.calls).toEqual({ wrap: 1, unwrap: 0 });
    const kid = decodeProtectedHeader(jws1).kid!;

    const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    expect(Items).toHaveLength(1);
    expect(Items[0]).toMatchObject({ tenant: { S: RECEIPT_KEYS_PARTITION }, entry: { S: `key#${kid}` } });

    const b = counting(rootKeyStore);
    const second = signer({ rootKeyStore: b.store });
    const jws2 = await second.sign(claims('dr_3'));
    await second.sign(claims('dr_4'));
    expect(decodeProtectedHeader(jws2).kid).toBe(kid);
    expect(b.calls).toEqual({ wrap: 0, unwrap: 1 });

    // The private key as the second process holds it: its PKCS#8 DER and its JWK `d` appear in no attribute.
    const privateKey = (second as unknown as { current: { privateKey: KeyObject } }).current.privateKey;
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const d = privateKey.export({ format: 'jwk' }).d!;
    const dBytes = Buffer.from(d, 'base64url');
    const item = Items[0]!;
    for (const value of Object.values(item)) {
      const text = value.S!;
      for (const clear of [d, der.toString('base64'), der.toString('base64url'), der.toString('hex')]) expect(text).not.toContain(clear);
    }
    const record = JSON.parse(item['record']!.S!) as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(['createdAt', 'kid', 'publicJwk', 'rootKid', 'sealedPrivateKey', 'wrappedDataKey']);
    expect(Object.keys(record['publicJwk'] as object).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    for (const field of ['sealedPrivateKey', 'wrappedDataKey']) {
      const bytes = Buffer.from(record[field] as string, 'base64');
      expect(bytes.includes(der)).toBe(false);
      expect(bytes.includes(dBytes)).toBe(false);
    }
  });

  it('lists keys two processes created at once, and never overwrites a kid', async () => {
    const [x, y] = [signer(), signer()];
    const [kx, ky] = await Promise.all([x.rotate(), y.rotate()]);
    expect((await x.jwks()).keys.map((key) => key.kid).sort()).toEqual([kx, ky].sort());
    const repository = new DynamoDbReceiptKeyRepository({ client: dynamo.client, tableName });
    const [stored] = await repository.list();
    await expect(repository.create({ ...stored!, sealedPrivateKey: 'AAAA' })).rejects.toBeInstanceOf(ReceiptKeyExistsError);
    expect((await repository.list()).find((key) => key.kid === stored!.kid)).toEqual(stored);
  });

  it('publishes public parts only: no `d` in the JWKS', async () => {
    const receipts = signer();
    await receipts.sign(claims());
    await receipts.rotate();
    const { keys } = await receipts.jwks();
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('refuses a stored key whose wrapped data key was moved to another kid', async () => {
    const receipts = signer();
    await receipts.sign(claims());
    const repository = new DynamoDbReceiptKeyRepository({ client: dynamo.client, tableName });
    const [stored] = await repository.list();
    tableName = await freshTable();
    await new DynamoDbReceiptKeyRepository({ client: dynamo.client, tableName }).create({ ...stored!, kid: 'rk_9999999999999_00000000', createdAt: new Date().toISOString() });
    await expect(signer().sign(claims())).rejects.toMatchObject({ code: 'root_key_store_error' });
  });
});
