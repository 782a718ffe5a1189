/**
 * The official Auth0 Node SDK (`auth0`, the current major), unchanged, against `npm start`'s
 * server: every encryption-keys call and the logs calls tenant tooling makes. The SDK always
 * builds `https://<domain>/api/v2`; its `fetch` option is the one seam, used here only to send
 * the same requests over plain HTTP to the local server.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, createCipheriv } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagementClient, ManagementError } from 'auth0';
import { freePort, runCli, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

const SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys read:logs';

let dataDir: string;
let server: ServerProcess;
let client: ManagementClient;

/** The customer's side of BYOK with Node's crypto: CKM_RSA_AES_KEY_WRAP (RSA-OAEP of an ephemeral AES key, then AES key wrap with padding). */
function wrapForImport(publicKeyPem: string, keyMaterial: Buffer): string {
  const ephemeral = randomBytes(32);
  const wrappedEphemeral = publicEncrypt({ key: createPublicKey(publicKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ephemeral);
  const kwp = createCipheriv('id-aes256-wrap-pad', ephemeral, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([wrappedEphemeral, kwp.update(keyMaterial), kwp.final()]).toString('base64');
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-auth0-sdk-'));
  const env = stackEnv(await freePort(), dataDir);
  server = await startServer(env);
  const token = (await runCli(['token', '--tenant', 'sdk-tenant', '--scope', SCOPES], env)).stdout.trim();
  client = new ManagementClient({
    domain: server.url.replace(/^http:\/\//, ''),
    token,
    maxRetries: 0,
    fetch: (url, init) => fetch(String(url).replace(/^https:\/\//, 'http://'), init),
  });
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the official auth0 Node SDK, unchanged', () => {
  it('lists (with its default paging), gets, creates, imports, rekeys and deletes encryption keys', async () => {
    const page = await client.keys.encryption.list();
    const listed = [];
    for await (const key of page) listed.push(key);
    expect(listed.map((key) => key.type)).toEqual(expect.arrayContaining(['environment-root-key', 'tenant-master-key']));
    const tmk = listed.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
    expect(await client.keys.encryption.get(tmk.kid)).toMatchObject({ kid: tmk.kid, type: 'tenant-master-key', state: 'active' });

    const created = await client.keys.encryption.create({ type: 'customer-provided-root-key' });
    expect(created).toMatchObject({ type: 'customer-provided-root-key', state: 'pre-activation' });
    const wrapping = await client.keys.encryption.createPublicWrappingKey(created.kid);
    expect(wrapping).toMatchObject({ algorithm: 'CKM_RSA_AES_KEY_WRAP' });
    const imported = await client.keys.encryption.import(created.kid, { wrapped_key: wrapForImport(wrapping.public_key, randomBytes(32)) });
    expect(imported).toMatchObject({ kid: created.kid, state: 'active' });

    await client.keys.encryption.rekey();
    const afterRekey = (await client.keys.encryption.list({ per_page: 100 })).data;
    expect(afterRekey.find((key) => key.kid === tmk.kid)?.state).toBe('destroyed');

    // Deleting the active CPRK puts the TMK back under the ERK; a second delete of the destroyed key resolves too.
    await client.keys.encryption.delete(created.kid);
    expect(await client.keys.encryption.get(created.kid)).toMatchObject({ state: 'destroyed' });
    await expect(client.keys.encryption.delete(created.kid)).resolves.toBeUndefined();
  });

  it('sees a missing key as a 404 ManagementError in Auth0\'s error shape', async () => {
    const error = await client.keys.encryption.get('00000000-0000-4000-8000-000000000000').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManagementError);
    expect((error as ManagementError).statusCode).toBe(404);
    expect((error as ManagementError).body).toMatchObject({ statusCode: 404, error: 'Not Found', errorCode: 'key_not_found' });
  });

  it('lists logs with search (only sapi entries), pages with from/take checkpoints, and gets one', async () => {
    const sapi = (await client.logs.list({ search: 'type:sapi', per_page: 100 })).data;
    expect(sapi.length).toBeGreaterThan(3);
    expect(new Set(sapi.map((entry) => entry.type))).toEqual(new Set(['sapi']));

    const checkpoint = async (from?: string) =>
      (await client.logs.list({ page: null, per_page: null, include_totals: null }, { queryParams: { ...(from ? { from } : {}), take: 2 } })).response as unknown as Array<{ log_id: string }>;
    const first = await checkpoint();
    const next = await checkpoint(first.at(-1)!.log_id);
    expect(first).toHaveLength(2);
    expect(next[0]!.log_id > first[1]!.log_id).toBe(true);

    const one = await client.logs.get(sapi[0]!.log_id!);
    expect(one).toMatchObject({ log_id: sapi[0]!.log_id, _id: sapi[0]!.log_id, type: 'sapi' });
  });
});
