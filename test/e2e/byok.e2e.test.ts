import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EncryptionKeyView, WrappingKeyView } from '@keyledger/key-admin';
import { createSoftHsmToken, describeWithSoftHsm, type SoftHsmToken } from '@keyledger/root-key-store/testing';
import { freePort, runCli, runCliStatus, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

type Key = EncryptionKeyView;
const SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys';

/** The customer's side, exactly as the README shows it: openssl only. */
async function readmeOpensslScript(): Promise<string> {
  const readme = await readFile(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const block = /<!-- byok-openssl:start -->\s*```bash\n([\s\S]*?)```\s*<!-- byok-openssl:end -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no byok-openssl block');
  return block;
}

async function wrapWithOpenssl(publicKeyPem: string, hash: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keyledger-customer-'));
  try {
    await writeFile(join(dir, 'wrapping.pem'), publicKeyPem);
    await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', await readmeOpensslScript()], { cwd: dir, env: { ...process.env, HASH: hash } });
    return (await readFile(join(dir, 'wrapped.b64'), 'utf8')).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function byokAgainst(store: string, setup: () => Promise<{ env: NodeJS.ProcessEnv; hash: 'sha256' | 'sha1'; cleanup: () => Promise<void> }>) {
  let env: NodeJS.ProcessEnv;
  let hash: 'sha256' | 'sha1';
  let cleanup: () => Promise<void>;
  let server: ServerProcess;

  const token = async (tenant: string) => (await runCli(['token', '--tenant', tenant, '--scope', SCOPES], env)).stdout.trim();
  async function api<T = unknown>(bearer: string, method: string, path: string, body?: unknown, raw?: string) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined || raw ? { 'content-type': 'application/json' } : {}) },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
  const listKeys = async (bearer: string) => {
    const { status, body } = await api<Key[]>(bearer, 'GET', '/api/v2/keys/encryption?per_page=100');
    expect(status).toBe(200);
    return body;
  };
  const activeTmk = (keys: Key[]) => keys.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
  const erkOf = (keys: Key[]) => keys.find((key) => key.type === 'environment-root-key')!;

  beforeAll(async () => {
    ({ env, hash, cleanup } = await setup());
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    await cleanup?.();
  });

  it(`${store}: BYOK with key material wrapped by the openssl CLI only; the hierarchy unwraps after a restart; DELETE goes back to the ERK`, async () => {
    const bearer = await token('byok-flow');
    const erk = erkOf(await listKeys(bearer));

    const created = await api<Key>(bearer, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'customer-provided-root-key', state: 'pre-activation', parent_kid: null });
    const kid = created.body.kid;

    const wrapping = await api<WrappingKeyView>(bearer, 'POST', `/api/v2/keys/encryption/${kid}/wrapping-key`);
    expect(wrapping.status).toBe(201);
    expect(wrapping.body).toMatchObject({ algorithm: 'CKM_RSA_AES_KEY_WRAP', oaep_hash: hash });
    expect(wrapping.body.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);

    const wrappedKey = await wrapWithOpenssl(wrapping.body.public_key, hash);
    const imported = await api<Key>(bearer, 'POST', `/api/v2/keys/encryption/${kid}`, { wrapped_key: wrappedKey });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ kid, state: 'active' });
    // A client that lost the response retries: the same wrapped key gets the key again, not a 409.
    const retried = await api<Key>(bearer, 'POST', `/api/v2/keys/encryption/${kid}`, { wrapped_key: wrappedKey });
    expect(retried).toEqual(imported);

    const afterImport = await listKeys(bearer);
    expect(afterImport.find((key) => key.kid === kid)!.state).toBe('active');
    expect(activeTmk(afterImport).parent_kid).toBe(kid);

    // Restart: the hierarchy still unwraps through the CPRK (a rekey needs the TMK), and the new TMK is under it.
    await server.stop();
    server = await startServer(env);
    expect((await api(bearer, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    const afterRekey = await listKeys(bearer);
    expect(activeTmk(afterRekey).parent_kid).toBe(kid);
    expect(activeTmk(afterRekey).kid).not.toBe(activeTmk(afterImport).kid);

    expect((await api(bearer, 'DELETE', `/api/v2/keys/encryption/${kid}`)).status).toBe(204);
    const afterDelete = await listKeys(bearer);
    expect(activeTmk(afterDelete)).toMatchObject({ kid: activeTmk(afterRekey).kid, parent_kid: erk.kid });
    expect(afterDelete.find((key) => key.kid === kid)!.state).toBe('destroyed');
    // Still usable under the ERK, after another restart.
    await server.stop();
    server = await startServer(env);
    expect((await api(bearer, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    expect(activeTmk(await listKeys(bearer)).parent_kid).toBe(erk.kid);
  });

  it(`${store}: each bad input gets a 4xx that says what is wrong and leaves every key as it was`, async () => {
    const bearer = await token('byok-refusals');
    const cprk = (await api<Key>(bearer, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' })).body;
    const path = `/api/v2/keys/encryption/${cprk.kid}`;
    const work = await mkdtemp(join(tmpdir(), 'keyledger-refusals-'));
    const cliWrap = async (pem: string, materialBytes: number) => {
      await writeFile(join(work, 'wrapping.pem'), pem);
      await writeFile(join(work, 'material.bin'), Buffer.alloc(materialBytes, 7));
      const { stdout } = await runCli(
        ['byok', 'wrap', '--public-key', join(work, 'wrapping.pem'), '--key-material', join(work, 'material.bin'), '--hash', hash],
        env,
      );
      return stdout.trim();
    };

    const refusals: Array<[string, () => Promise<{ status: number; body: unknown }>, number, RegExp]> = [];
    const expectRefusal = async (what: string, attempt: () => Promise<{ status: number; body: unknown }>, status: number, message: RegExp) => {
      const before = await listKeys(bearer);
      const { status: actual, body } = await attempt();
      expect({ what, status: actual }).toEqual({ what, status });
      expect({ what, message: (body as { message: string }).message }).toEqual({ what, message: expect.stringMatching(message) });
      expect(await listKeys(bearer)).toEqual(before);
      refusals.push([what, attempt, status, message]);
    };

    await expectRefusal('import before any wrapping key', () => api(bearer, 'POST', path, { wrapped_key: 'AAAA' }), 409, /has no wrapping key: request one/);
    const first = (await api<WrappingKeyView>(bearer, 'POST', `${path}/wrapping-key`)).body;
    const current = (await api<WrappingKeyView>(bearer, 'POST', `${path}/wrapping-key`)).body;
    await expectRefusal('non-base64', () => api(bearer, 'POST', path, { wrapped_key: 'not base64!' }), 400, /wrapped_key: is not valid base64/);
    await expectRefusal('not JSON', () => api(bearer, 'POST', path, undefined, '{"wrapped_key":'), 400, /Body is not valid JSON/);
    await expectRefusal('wrong length', () => api(bearer, 'POST', path, { wrapped_key: Buffer.alloc(100, 1).toString('base64') }), 400, /wrapped_key is 100 bytes/);
    const forFirst = await cliWrap(first.public_key, 32);
    await expectRefusal('wrapped for another wrapping key', () => api(bearer, 'POST', path, { wrapped_key: forFirst }), 400, /could not be unwrapped with this key's current wrapping key/);
    const short = await cliWrap(current.public_key, 16);
    await expectRefusal('key material shorter than 256 bits', () => api(bearer, 'POST', path, { wrapped_key: short }), 400, /at most 128 bits of key material; a customer-provided root key must be 256 bits/);
    await expectRefusal('a second CPRK', () => api(bearer, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' }), 409, /already has customer-provided root key .* in state 'pre-activation'/);
    await expectRefusal('another key type', () => api(bearer, 'POST', '/api/v2/keys/encryption', { type: 'tenant-master-key' }), 400, /must be 'customer-provided-root-key'/);
    await expectRefusal(
      "Auth0's tenant-encryption-key type",
      () => api(bearer, 'POST', '/api/v2/keys/encryption', { type: 'tenant-encryption-key' }),
      400,
      /Body type: is 'tenant-encryption-key', which keyledger does not create on request: a tenant-encryption-key \(one per namespace\) is made at provisioning and replaced by POST \/api\/v2\/keys\/encryption\/rekey; the type you can create is 'customer-provided-root-key'/,
    );
    if (hash === 'sha1') {
      await expectRefusal('an OAEP hash the store does not offer', () => api(bearer, 'POST', `${path}/wrapping-key`, { oaep_hash: 'sha256' }), 400, /does not offer CKM_RSA_AES_KEY_WRAP with OAEP sha256/);
    }

    // The CLI imports the good material (with the wrapping key still current after all those refusals).
    const good = await cliWrap(current.public_key, 32);
    const imported = await runCliStatus(['keys', 'import', cprk.kid, '--wrapped-key', good, '--json', '--token', bearer, '--url', server.url], env);
    expect(imported).toMatchObject({ code: 0 });
    expect(JSON.parse(imported.stdout)).toMatchObject({ kid: cprk.kid, state: 'active' });

    // The same wrapped key again is a retry (answered 201 with the key); other material is a second import.
    expect(await api(bearer, 'POST', path, { wrapped_key: good })).toMatchObject({ status: 201, body: { kid: cprk.kid, state: 'active' } });
    const other = await cliWrap(current.public_key, 32);
    await expectRefusal('a second import (its wrapping key is used up)', () => api(bearer, 'POST', path, { wrapped_key: other }), 409, /already active: its material was imported with wrapping key .* which is now used up/);
    await expectRefusal('a second CPRK while one is active', () => api(bearer, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' }), 409, /in state 'active'/);
    await expectRefusal('a wrapping key for an active CPRK', () => api(bearer, 'POST', `${path}/wrapping-key`), 409, /wrapping keys are issued only for a customer-provided root key in 'pre-activation'/);
    expect(refusals.length).toBeGreaterThanOrEqual(11);
    await rm(work, { recursive: true, force: true });
  });
}

describe('BYOK against the local server', () => {
  byokAgainst('software store', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyledger-byok-e2e-'));
    return { env: stackEnv(await freePort(), dataDir), hash: 'sha256', cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  });
});

describeWithSoftHsm('BYOK against the local server with the PKCS#11 store on SoftHSM2', () => {
  let token: SoftHsmToken;
  byokAgainst('pkcs11 store', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyledger-byok-hsm-e2e-'));
    token = createSoftHsmToken();
    const env = {
      ...stackEnv(await freePort(), dataDir),
      SOFTHSM2_CONF: token.conf,
      KEYLEDGER_ROOT_KEY_STORE: 'pkcs11',
      KEYLEDGER_PKCS11_TOKEN_LABEL: token.label,
      KEYLEDGER_PKCS11_PIN: token.pin,
    };
    return {
      env,
      hash: 'sha1',
      cleanup: async () => {
        token.remove();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  });
});
