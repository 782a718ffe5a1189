/**
 * @keyledger/client (its built dist/, as published) against the real local server: a method per
 * route family, local envelope encryption (one data-keys call for 100,000 messages, a rekey
 * between encryptions, wrong contexts and tenants refused, the service refusing a client
 * envelope), and the AWS Encryption SDK keyring with the caching materials manager.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClient, CommitmentPolicy, getLocalCryptographicMaterialsCache, NodeCachingMaterialsManager } from '@aws-crypto/client-node';
import { KeyledgerApiError, KeyledgerClient, parseClientEnvelope, type KeyledgerClientOptions } from '@keyledger/client';
import { KeyledgerKeyring } from '@keyledger/client/encryption-sdk';
import { freePort, runCli, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

const SCOPES = [
  'read:encryption_keys create:encryption_keys update:encryption_keys',
  'read:destruction_requests read:logs',
  'encrypt decrypt rewrap create:data_keys',
  'read:secrets create:secrets update:secrets delete:secrets',
].join(' ');

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let acmeToken: string;
let globexToken: string;

const token = async (tenant: string, scope: string) => (await runCli(['token', '--tenant', tenant, '--scope', scope], env)).stdout.trim();
const clientOf = (bearer: string, options: Partial<KeyledgerClientOptions> = {}) => new KeyledgerClient({ baseUrl: server.url, token: bearer, ...options });
const bytes = (text: string) => new Uint8Array(Buffer.from(text));
const text = (data: Uint8Array) => Buffer.from(data).toString();
/** The namespace key id inside a client envelope's wrapped data key (a service envelope: "KL", version, kid length, kid). */
const kidOf = (envelope: Uint8Array) => {
  const wrapped = parseClientEnvelope(envelope).wrappedDataKey;
  return wrapped.subarray(4, 4 + wrapped[3]!).toString('latin1');
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-client-'));
  env = stackEnv(await freePort(), dataDir);
  server = await startServer(env);
  acmeToken = await token('acme', SCOPES);
  globexToken = await token('globex', SCOPES);
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the typed client, a method per route family', () => {
  it('lists and reads keys, usage, the keys as of now, retention and destruction requests (key-admin)', async () => {
    const client = clientOf(acmeToken);
    const keys = await client.listEncryptionKeys({ per_page: 50 });
    expect(Array.isArray(keys)).toBe(true);
    const list = keys as { kid: string; type: string; state: string }[];
    const namespaceKey = list.find((key) => key.type === 'tenant-encryption-key' && key.state === 'active')!;
    expect(await client.getEncryptionKey(namespaceKey.kid)).toMatchObject({ kid: namespaceKey.kid, state: 'active' });
    expect(await client.getKeyUsage(namespaceKey.kid)).toMatchObject({ kid: namespaceKey.kid });
    expect(await client.listEncryptionKeysAsOf({ at: new Date().toISOString() })).toBeDefined();
    expect(await client.getKeyRetention()).toHaveProperty('auto_retire_after');
    expect(await client.listDestructionRequests()).toBeDefined();
  });

  it('throws KeyledgerApiError with Auth0 fields for an error answer', async () => {
    const error = await clientOf(acmeToken)
      .getEncryptionKey('no-such-key')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyledgerApiError);
    expect(error).toMatchObject({ statusCode: 404, errorCode: expect.any(String), error: 'Not Found' });
    expect((error as Error).message).not.toBe('');
  });

  it('encrypts, decrypts, rewraps and makes data keys in the service (crypto data plane)', async () => {
    const client = clientOf(acmeToken);
    const sealed = (await client.serverEncrypt('default', { plaintext: Buffer.from('hi').toString('base64'), encryption_context: { a: '1' } })) as { ciphertext: string };
    const rewrapped = (await client.rewrap('default', { ciphertext: sealed.ciphertext, encryption_context: { a: '1' } })) as { ciphertext: string };
    const opened = (await client.serverDecrypt('default', { ciphertext: rewrapped.ciphertext, encryption_context: { a: '1' } })) as { plaintext: string };
    expect(Buffer.from(opened.plaintext, 'base64').toString()).toBe('hi');
    expect(await client.generateDataKey('default')).toMatchObject({ plaintext_key: expect.any(String), ciphertext_key: expect.any(String), kid: expect.any(String) });
  });

  it('stores, reads, lists, rotates and deletes secrets; lists jobs; searches logs', async () => {
    const client = clientOf(acmeToken);
    expect(await client.putSecret('db-password', { value: 's3cret', encryption_context: { app: 'x' } })).toMatchObject({ name: 'db-password', version: 1 });
    expect(await client.getSecret('db-password', { encryption_context: { app: 'x' } })).toMatchObject({ value: 's3cret', version: 1 });
    expect(await client.rotateSecret('api-key', { length: 24 })).toMatchObject({ name: 'api-key', version: 1 });
    expect(await client.listSecrets()).toMatchObject({ secrets: expect.arrayContaining([expect.objectContaining({ name: 'db-password' })]) });
    expect(await client.listSecretVersions('db-password')).toBeDefined();
    expect(await client.deleteSecret('api-key')).toBeUndefined();
    expect(await client.listJobs()).toBeDefined();
    expect(await client.listLogs({ per_page: 5 })).toBeDefined();
  });
});

describe('local envelope encryption', () => {
  it('round-trips, and the service cannot take a client envelope for its own (400 invalid_ciphertext)', async () => {
    const client = clientOf(acmeToken);
    const envelope = await client.encrypt('default', bytes('hello'), { order: '42' });
    expect(Buffer.from(envelope).subarray(0, 2).toString('latin1')).toBe('KC');
    expect(text(await client.decrypt('default', envelope, { order: '42' }))).toBe('hello');
    const refused = await client.serverDecrypt('default', { ciphertext: Buffer.from(envelope).toString('base64'), encryption_context: { order: '42' } }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ statusCode: 400, errorCode: 'invalid_ciphertext' });
  });

  it('makes exactly one keyledger call for 100,000 messages within one data key, and one to decrypt them', async () => {
    const client = clientOf(acmeToken);
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < 100_000; i += 1) envelopes.push(await client.encrypt('default', bytes(`message ${i}`), { stream: 'bench' }));
    expect(client.stats()).toMatchObject({ requests: 1, attempts: 1, dataKeysGenerated: 1 });
    const reader = clientOf(acmeToken);
    for (const i of [0, 50_000, 99_999]) expect(text(await reader.decrypt('default', envelopes[i]!, { stream: 'bench' }))).toBe(`message ${i}`);
    expect(reader.stats()).toMatchObject({ requests: 1, dataKeysUnwrapped: 1 });
  });

  it('refuses a wrong context, and another tenant cannot decrypt', async () => {
    const client = clientOf(acmeToken);
    const envelope = await client.encrypt('default', bytes('secret'), { user: 'alice' });
    await expect(clientOf(acmeToken).decrypt('default', envelope, { user: 'mallory' })).rejects.toMatchObject({ statusCode: 400, errorCode: 'decryption_failed' });
    await expect(client.decrypt('default', envelope, { user: 'mallory' })).rejects.toThrow();
    await expect(clientOf(globexToken).decrypt('default', envelope, { user: 'alice' })).rejects.toMatchObject({ statusCode: 400 });
    expect(text(await client.decrypt('default', envelope, { user: 'alice' }))).toBe('secret');
  });

  it('after a rekey, old messages still decrypt and new ones use the new namespace key once maxAgeMs has passed', async () => {
    const client = clientOf(acmeToken, { dataKeyLimits: { maxAgeMs: 300 } });
    const before = await client.encrypt('default', bytes('before'));
    await client.rekey();
    const within = await client.encrypt('default', bytes('within the bound'));
    expect(kidOf(within)).toBe(kidOf(before)); // the cached data key, still under the old namespace key
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = await client.encrypt('default', bytes('after'));
    expect(kidOf(after)).not.toBe(kidOf(before));
    expect(await client.getEncryptionKey(kidOf(before))).toMatchObject({ state: 'deactivated' });
    expect(await client.getEncryptionKey(kidOf(after))).toMatchObject({ state: 'active' });
    const reader = clientOf(acmeToken);
    expect(text(await reader.decrypt('default', before))).toBe('before');
    expect(text(await reader.decrypt('default', within))).toBe('within the bound');
    expect(text(await reader.decrypt('default', after))).toBe('after');
  });
});

/** Decrypts Encryption SDK messages in a fresh node process (test/support/esdkDecrypt.mjs). */
async function decryptInAnotherProcess(bearer: string, messages: Buffer[]): Promise<unknown[]> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'support', 'esdkDecrypt.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stdin.end(JSON.stringify({ url: server.url, token: bearer, messages: messages.map((message) => message.toString('base64')) }));
  expect(await exited).toBe(0);
  return output.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

describe('the AWS Encryption SDK with the keyledger keyring', () => {
  const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const context = { purpose: 'invoices' };

  it('encrypts through the caching materials manager with one data-keys call, decrypts in another process after a restart, and not as another tenant', async () => {
    const client = clientOf(acmeToken);
    const cmm = new NodeCachingMaterialsManager({
      backingMaterials: new KeyledgerKeyring({ client, namespace: 'default' }),
      cache: getLocalCryptographicMaterialsCache(100),
      maxAge: 60_000,
      maxMessagesEncrypted: 1_000,
    });
    const messages: Buffer[] = [];
    for (let i = 0; i < 5; i += 1) messages.push((await esdk.encrypt(cmm, Buffer.from(`invoice ${i}`), { encryptionContext: context, plaintextLength: 9 })).result);
    expect(client.stats().requests).toBe(1);

    // Both restarted: the local server on its data dir, and the service in a fresh node process with a new client and keyring.
    await server.stop('SIGTERM');
    server = await startServer(env);
    const restarted = await decryptInAnotherProcess(acmeToken, messages);
    expect(restarted).toEqual(messages.map((_, i) => ({ plaintext: `invoice ${i}`, context: expect.objectContaining(context), providers: [{ providerId: 'keyledger', providerInfo: 'default' }] })));
    const otherTenant = await decryptInAnotherProcess(globexToken, messages.slice(0, 1));
    expect(otherTenant).toEqual([{ error: expect.stringMatching(/keyledger could not decrypt the data key/) }]);
  });
});
