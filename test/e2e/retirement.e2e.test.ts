/**
 * Key retirement against the local server, as the issue checks it: rewrap after a rekey, the
 * re-encryption job, usage, retire (and its refusals), a crash in the middle of a job.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callJson, eventually, freePort, runCli, runCliStatus, runCliWithInput, stackEnv, startServer, type ServerProcess, type JsonReply } from '../support/localProcess';

jest.setTimeout(120_000);

type Reply = JsonReply;
interface Key {
  kid: string;
  type: string;
  state: string;
}
interface Job {
  id: string;
  state: string;
  done: number;
  total: number;
  details: Record<string, number>;
}

const SCOPES =
  'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys encrypt decrypt rewrap read:secrets create:secrets update:secrets read:logs';

/** One local stack on a data dir of its own; `restart` keeps the data dir. */
async function stack(extraEnv: Record<string, string> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'keyledger-retire-'));
  let env = { ...stackEnv(await freePort(), dataDir), ...extraEnv };
  let server: ServerProcess = await startServer(env);
  const token = (await runCli(['token', '--tenant', 'acme', '--scope', SCOPES, '--subject', 'admin'], env)).stdout.trim();
  const call = (method: string, path: string, body?: unknown) => callJson(server.url, token, method, path, body);
  return {
    env: () => ({ ...env, KEYLEDGER_TOKEN: token, KEYLEDGER_URL: server.url }),
    server: () => server,
    call,
    async keys(): Promise<Key[]> {
      return (await call('GET', '/api/v2/keys/encryption?per_page=100')).body as unknown as Key[];
    },
    /** The newest job, once it has ended (and is not `previous`: a rekey's job is made from its event, a moment later). */
    async job(previous?: string): Promise<Job> {
      return eventually(async () => {
        const jobs = (await call('GET', '/v1/jobs')).body['jobs'] as Job[];
        return !jobs[0] || jobs[0].id === previous || jobs[0].state === 'running' ? undefined : jobs[0];
      }, 'the re-encryption job to end');
    },
    async restart(overrides: Record<string, string | undefined> = {}) {
      if (server.child.exitCode === null) await server.stop('SIGTERM');
      env = { ...env, ...overrides };
      for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete env[name];
      server = await startServer(env);
    },
    async stop() {
      await server.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function putSecrets(call: (method: string, path: string, body?: unknown) => Promise<Reply>, count: number) {
  for (let i = 0; i < count; i += 1) {
    const reply = await call('PUT', `/v1/secrets/s${String(i).padStart(3, '0')}`, { value: `value ${i}` });
    expect(reply.status).toBe(201);
  }
}

const activeNamespaceKeys = (keys: Key[]) => keys.filter((key) => key.type === 'tenant-encryption-key' && key.state === 'active').map((key) => key.kid);

describe('retiring keys against the local server (quiet period off)', () => {
  let local: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    local = await stack({ KEYLEDGER_RETIRE_QUIET_PERIOD: 'PT0S' });
  });
  afterAll(() => local?.stop());

  it('rekey, rewrap, the job re-encrypts every secret, usage drops to 0, DELETE destroys, old envelope refused, everything else reads back', async () => {
    const { call } = local;
    await putSecrets(call, 50);
    const envelope = await call('POST', '/v1/namespaces/default/encrypt', { plaintext: Buffer.from('hello').toString('base64'), encryption_context: { order: '42' } });
    const before = activeNamespaceKeys(await local.keys());

    expect((await call('POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    const after = activeNamespaceKeys(await local.keys());
    const rewrapped = await call('POST', '/v1/namespaces/default/rewrap', { ciphertext: envelope.body['ciphertext'], encryption_context: { order: '42' } });
    expect(rewrapped.status).toBe(200);
    expect(after).toContain(rewrapped.body['kid']);
    expect(before).not.toContain(rewrapped.body['kid']);

    const job = await local.job();
    expect(job).toMatchObject({ state: 'succeeded', done: 50, total: 50, details: { moved: 50 } });
    const watched = await runCli(['jobs', 'watch', job.id], local.env());
    expect(watched.stdout).toBe(`Job ${job.id} succeeded: 50 of 50\n`);
    for (const kid of before) expect((await call('GET', `/v1/keys/${kid}/usage`)).body).toMatchObject({ kid, state: 'deactivated', secret_versions: 0 });

    for (const kid of before) expect((await call('DELETE', `/api/v2/keys/encryption/${kid}`)).status).toBe(204);
    const keys = await local.keys();
    for (const kid of before) expect(keys.find((key) => key.kid === kid)?.state).toBe('destroyed');
    const refused = await call('POST', '/v1/namespaces/default/decrypt', { ciphertext: envelope.body['ciphertext'], encryption_context: { order: '42' } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.message).toMatch(/was destroyed/);
    const decrypted = await call('POST', '/v1/namespaces/default/decrypt', { ciphertext: rewrapped.body['ciphertext'], encryption_context: { order: '42' } });
    expect(Buffer.from(decrypted.body['plaintext'] as string, 'base64').toString()).toBe('hello');
    for (let i = 0; i < 50; i += 1) {
      expect((await call('GET', `/v1/secrets/s${String(i).padStart(3, '0')}`)).body['value']).toBe(`value ${i}`);
    }
    // Audited: the retirement and the job's progress are in the tenant's log.
    await eventually(async () => {
      const logs = (await call('GET', '/api/v2/logs?q=type:job_progress&per_page=100')).body as unknown as Array<{ description: string }>;
      return logs.some((entry) => /succeeded: 50 of 50/.test(entry.description)) ? true : undefined;
    }, 'the job_progress log entries');
    await eventually(async () => {
      const logs = (await call('GET', '/api/v2/logs?q=type:kms_key_state_changed&per_page=100')).body as unknown as Array<{ description: string }>;
      return before.every((kid) => logs.some((entry) => entry.description === `Key ${kid} (tenant-encryption-key) changed from deactivated to destroyed (retire)`)) ? true : undefined;
    }, 'the retirements in the log');
  });
});

describe('the lifecycle commands of the CLI', () => {
  let local: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    local = await stack({ KEYLEDGER_RETIRE_QUIET_PERIOD: 'PT0S' });
  });
  afterAll(() => local?.stop());

  it('rewrap, secrets reencrypt --watch, keys usage, keys retire and keys retention', async () => {
    const env = local.env();
    await runCli(['secrets', 'put', 'db.password', 'hunter2'], env);
    const encrypted = await runCliWithInput(['encrypt'], env, 'card 4111');
    const old = activeNamespaceKeys(await local.keys());
    await runCli(['keys', 'rekey'], env);
    await local.job();

    const rewrapped = await runCliWithInput(['rewrap'], env, encrypted.stdout);
    expect(rewrapped.code).toBe(0);
    const decrypted = await runCliWithInput(['decrypt'], env, rewrapped.stdout);
    expect(decrypted.stdout.toString()).toBe('card 4111');
    const reencrypt = await runCli(['secrets', 'reencrypt', '--watch'], env);
    expect(reencrypt.stdout).toMatch(/^Job rj_\d{13}_[0-9a-f]{8} succeeded: 1 of 1\n$/);
    for (const kid of old) {
      expect(JSON.parse((await runCli(['keys', 'usage', kid, '--json'], env)).stdout)).toMatchObject({ kid, state: 'deactivated', secret_versions: 0 });
      expect((await runCli(['keys', 'retire', kid], env)).stdout).toBe(`Deleted ${kid}: it is destroyed.\n`);
    }
    expect((await runCli(['keys', 'retention', '--set', 'P30D'], env)).stdout).toBe('Automatic retirement: after P30D without use\n');
    expect((await runCli(['keys', 'retention'], env)).stdout).toBe('Automatic retirement: after P30D without use\n');
    expect((await runCli(['keys', 'retention', '--off'], env)).stdout).toBe('Automatic retirement: off\n');
    const refused = await runCliStatus(['keys', 'retire', activeNamespaceKeys(await local.keys())[0]!], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^keyledger: 409 Key \S+ is the active key of namespace/);
  });
});

describe('refusals, with the default quiet period (P7D) and the dev clock', () => {
  let local: Awaited<ReturnType<typeof stack>>;
  let envelope: Reply;
  let old: { default: string; secrets: string };
  const advance = (duration: string) =>
    fetch(`${local.server().url}/dev/clock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.env().KEYLEDGER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ advance: duration }),
    });
  beforeAll(async () => {
    // Jobs paused at first, so that stored secrets stay under the old keys until the restart.
    local = await stack({ KEYLEDGER_DEV_CLOCK: '1', KEYLEDGER_FAULTS: 'jobs-paused' });
  });
  afterAll(() => local?.stop());

  it('refuses to destroy the active namespace keys, the TMK and the ERK (409 invalid_key_state)', async () => {
    const { call } = local;
    await putSecrets(call, 3);
    envelope = await call('POST', '/v1/namespaces/default/encrypt', { plaintext: Buffer.from('x').toString('base64') });
    const keys = await local.keys();
    for (const key of keys.filter((candidate) => candidate.state === 'active')) {
      expect((await call('DELETE', `/api/v2/keys/encryption/${key.kid}`)).body).toMatchObject({ statusCode: 409, errorCode: 'invalid_key_state' });
    }
    expect(await local.keys()).toEqual(keys);
  });

  it('refuses a deactivated key that stored secrets depend on (409 key_in_use, naming how many), changing nothing', async () => {
    const { call } = local;
    const before = await local.keys();
    old = { default: envelope.body['kid'] as string, secrets: activeNamespaceKeys(before).find((kid) => kid !== envelope.body['kid'])! };
    expect((await call('POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    expect((await call('GET', `/v1/keys/${old.secrets}/usage`)).body).toMatchObject({ state: 'deactivated', secret_versions: 3 });
    const listed = await local.keys();
    const refused = await call('DELETE', `/api/v2/keys/encryption/${old.secrets}`);
    expect(refused.body).toMatchObject({ statusCode: 409, errorCode: 'key_in_use' });
    expect(refused.body.message).toMatch(new RegExp(`^Key ${old.secrets} still protects 3 stored secret versions \\(last decrypt: none recorded\\)`));
    expect(await local.keys()).toEqual(listed);
  });

  it('refuses a key a rewrap used within the quiet period until it has passed; retires one nothing used at once', async () => {
    await local.restart({ KEYLEDGER_FAULTS: undefined });
    const { call } = local;
    expect(await local.job()).toMatchObject({ state: 'succeeded', done: 3, total: 3 });
    expect((await call('POST', '/v1/namespaces/default/rewrap', { ciphertext: envelope.body['ciphertext'] })).status).toBe(200);
    const listed = await local.keys();

    const quiet = await call('DELETE', `/api/v2/keys/encryption/${old.default}`);
    expect(quiet.body).toMatchObject({ statusCode: 409, errorCode: 'key_in_use' });
    expect(quiet.body.message).toMatch(new RegExp(`^Key ${old.default} was last used for a decrypt at \\S+, within the retire quiet period \\(P7D`));
    expect(await local.keys()).toEqual(listed);
    // Its secrets moved and nothing decrypted with it: as in Auth0, DELETE acts at once.
    expect((await call('DELETE', `/api/v2/keys/encryption/${old.secrets}`)).status).toBe(204);

    expect((await advance('P8D')).status).toBe(200);
    expect((await call('DELETE', `/api/v2/keys/encryption/${old.default}`)).status).toBe(204);
    expect((await call('DELETE', `/api/v2/keys/encryption/${old.secrets}`)).status).toBe(204); // already destroyed: nothing changes
  });

  it("retires quiet, unused keys by the tenant's retention setting once the clock passes it", async () => {
    const { call } = local;
    expect((await call('PUT', '/v1/keys/retention', { auto_retire_after: 'P30D' })).body).toEqual({ auto_retire_after: 'P30D' });
    expect((await call('PUT', '/v1/keys/retention', { auto_retire_after: 'soon' })).body).toMatchObject({ statusCode: 400, errorCode: 'invalid_body' });
    // Setting it lets keys be destroyed: update alone is not enough.
    const updateOnly = (await runCli(['token', '--tenant', 'acme', '--scope', 'read:encryption_keys update:encryption_keys'], local.env())).stdout.trim();
    const refused = await fetch(`${local.server().url}/v1/keys/retention`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${updateOnly}`, 'content-type': 'application/json' },
      body: JSON.stringify({ auto_retire_after: null }),
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: expect.stringContaining('delete:encryption_keys') });
    expect((await call('GET', '/v1/keys/retention')).body).toEqual({ auto_retire_after: 'P30D' });
    const before = activeNamespaceKeys(await local.keys());
    const previous = (await local.job()).id;
    await call('POST', '/api/v2/keys/encryption/rekey');
    await local.job(previous);
    expect((await advance('P31D')).status).toBe(200);
    const keys = await local.keys();
    for (const kid of before) expect(keys.find((key) => key.kid === kid)?.state).toBe('destroyed');
    // Audited like a manual retirement, with its own cause (the log follows the outbox, a moment later).
    await eventually(async () => {
      const logs = (await call('GET', '/api/v2/logs?q=type:kms_key_state_changed&per_page=100')).body as unknown as Array<{ description: string }>;
      const logged = before.every((kid) => logs.some((entry) => entry.description === `Key ${kid} (tenant-encryption-key) changed from deactivated to destroyed (retention)`));
      return logged ? true : undefined;
    }, 'the retirements in the log');
  });
});

describe('a crash in the middle of a re-encryption job', () => {
  let local: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    local = await stack({ KEYLEDGER_FAULTS: 'crash-mid-job' });
  });
  afterAll(() => local?.stop());

  it('finishes after a restart, every secret moved exactly once and readable', async () => {
    const { call } = local;
    await putSecrets(call, 60);
    const old = activeNamespaceKeys(await local.keys());
    expect((await call('POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    // The job dies after writing its second page (of three), before checkpointing it.
    await eventually(async () => (local.server().child.exitCode !== null || local.server().child.signalCode !== null ? true : undefined), 'the injected crash');
    expect(local.server().output()).toMatch(/injected fault: crashing inside a job/);

    await local.restart({ KEYLEDGER_FAULTS: undefined });
    const job = await local.job();
    expect(job).toMatchObject({ state: 'succeeded', done: 60, total: 60, details: { moved: 60 } });
    for (const kid of old) expect((await call('GET', `/v1/keys/${kid}/usage`)).body).toMatchObject({ secret_versions: 0 });
    for (let i = 0; i < 60; i += 1) expect((await call('GET', `/v1/secrets/s${String(i).padStart(3, '0')}`)).body['value']).toBe(`value ${i}`);
    const status = await runCliStatus(['jobs', 'get', job.id, '--json'], local.env());
    expect(JSON.parse(status.stdout)).toMatchObject({ id: job.id, state: 'succeeded' });
  });
});
