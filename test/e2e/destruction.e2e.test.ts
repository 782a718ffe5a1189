/**
 * Destruction requests against `npm start`'s server with a policy in force (issue 17, first
 * part): KEYLEDGER_DESTRUCTION_WAITING_PERIOD=P1D, KEYLEDGER_DESTRUCTION_APPROVALS=1 and the dev
 * clock. A retirement answers 202 and its key refuses decrypts while the request is live; the
 * requester cannot approve it, another subject can; the dev clock executes it once; a cancel
 * restores the key; an active CPRK's deletion blocks nothing until it executes. Each executed
 * request's receipt verifies with `keyledger receipts verify` and with jose. Every step is in
 * the tenant's audit log.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { compactVerify, createLocalJWKSet, decodeJwt, type JSONWebKeySet } from 'jose';
import { callJson, eventually, freePort, runCli, runCliStatus, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

const EVENT_DOCS = join(__dirname, '..', '..', 'docs', 'events');

interface Key {
  kid: string;
  type: string;
  state: string;
  parent_kid: string | null;
  namespace: string | null;
}

const TENANT = 'shred-me-not';
const SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys encrypt decrypt read:logs read:destruction_requests delete:tenant';

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let alice: string;
let bob: string;

const call = (token: string, method: string, path: string, body?: unknown) => callJson(server.url, token, method, path, body);
const receiptOf = (token: string, id: string) =>
  eventually(async () => (await call(token, 'GET', `/v1/destruction-receipts/${id}`)).body['receipt'] as string | undefined, `the receipt of ${id}`);
const keys = async () => (await call(alice, 'GET', '/api/v2/keys/encryption?per_page=100')).body as unknown as Key[];
const advance = (duration: string) => call(alice, 'POST', '/dev/clock', { advance: duration });
const encrypt = async () => (await call(alice, 'POST', '/v1/namespaces/default/encrypt', { plaintext: Buffer.from('order 42').toString('base64') })).body['ciphertext'] as string;
const decrypt = (ciphertext: string) => call(alice, 'POST', '/v1/namespaces/default/decrypt', { ciphertext });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-destruction-'));
  // Every destruction step on the bus goes to a file, as an EventBridge rule would send it to SNS.
  const rules = join(dataDir, 'rules.json');
  await writeFile(rules, JSON.stringify([{ name: 'approvers', event_pattern: { source: ['keyledger'], 'detail-type': [{ prefix: 'destruction_' }] }, target: { file: 'destruction.ndjson' } }]));
  env = {
    ...stackEnv(await freePort(), dataDir),
    KEYLEDGER_EVENT_RULES: rules,
    KEYLEDGER_DEV_CLOCK: '1',
    KEYLEDGER_DESTRUCTION_WAITING_PERIOD: 'P1D',
    KEYLEDGER_DESTRUCTION_APPROVALS: '1',
    KEYLEDGER_RETIRE_QUIET_PERIOD: 'PT0S',
    KEYLEDGER_OUTBOX_POLL_MS: '200',
  };
  server = await startServer(env);
  alice = (await runCli(['token', '--tenant', TENANT, '--scope', SCOPES, '--subject', 'alice'], env)).stdout.trim();
  bob = (await runCli(['token', '--tenant', TENANT, '--scope', 'read:destruction_requests approve:destruction_requests', '--subject', 'bob'], env)).stdout.trim();
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('destruction requests with KEYLEDGER_DESTRUCTION_WAITING_PERIOD=P1D and KEYLEDGER_DESTRUCTION_APPROVALS=1', () => {
  it('a retirement answers 202; decrypts under its key refuse with 409 destruction_pending; only another subject approves; the dev clock executes it once', async () => {
    const ciphertext = await encrypt();
    expect((await call(alice, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    const old = (await keys()).find((key) => key.namespace === 'default' && key.state === 'deactivated')!;

    const requested = await call(alice, 'DELETE', `/api/v2/keys/encryption/${old.kid}`);
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({ action: 'retire_key', kids: [old.kid], state: 'pending', required_approvals: 1, requested_by: { sub: 'alice' } });
    const id = requested.body['id'] as string;
    // A second DELETE answers the same request.
    expect((await call(alice, 'DELETE', `/api/v2/keys/encryption/${old.kid}`)).body['id']).toBe(id);

    const refused = await decrypt(ciphertext);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ errorCode: 'destruction_pending' });
    expect(refused.body.message).toContain(id);

    const own = await call(alice, 'POST', `/v1/destruction-requests/${id}/approve`);
    expect(own.status).toBe(403); // alice lacks approve:destruction_requests, and is the requester anyway
    const aliceApprover = (await runCli(['token', '--tenant', TENANT, '--scope', 'approve:destruction_requests', '--subject', 'alice'], env)).stdout.trim();
    const self = await call(aliceApprover, 'POST', `/v1/destruction-requests/${id}/approve`);
    expect(self).toMatchObject({ status: 403, body: { errorCode: 'forbidden' } });
    expect(self.body.message).toContain('the requester cannot approve it');
    expect(await call(bob, 'POST', `/v1/destruction-requests/${id}/approve`)).toMatchObject({ status: 200, body: { state: 'approved', approvals: [{ sub: 'bob' }] } });

    expect((await advance('PT23H')).status).toBe(200);
    expect((await call(bob, 'GET', `/v1/destruction-requests/${id}`)).body['state']).toBe('approved');
    expect((await advance('PT1H')).status).toBe(200);
    expect((await call(bob, 'GET', `/v1/destruction-requests/${id}`)).body).toMatchObject({ state: 'executed' });
    expect((await call(alice, 'GET', `/api/v2/keys/encryption/${old.kid}`)).body['state']).toBe('destroyed');
    expect((await decrypt(ciphertext)).body).toMatchObject({ errorCode: 'invalid_key_state' });

    // Its receipt verifies with `keyledger receipts verify` and with a plain JOSE library, and names what was destroyed and by whom.
    // A receipt is issued once the execution's own log entry is in the audit chain: a moment after the execution.
    const receipt = await receiptOf(bob, id);
    const file = join(dataDir, 'receipt.jws');
    await writeFile(file, receipt);
    const verified = await runCliStatus(['receipts', 'verify', file, '--url', server.url], env);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toMatch(/^receipt valid: signed by rk_\d{13}_[0-9a-f]{8}/);
    const jwks = (await (await fetch(`${server.url}/.well-known/keyledger/receipt-keys.json`)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await compactVerify(receipt, createLocalJWKSet(jwks));
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'keyledger-destruction-receipt+jwt', kid: jwks.keys[0]!.kid });
    const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({
      request_id: id,
      tenant: TENANT,
      action: 'retire_key',
      keys: [{ kid: old.kid, type: 'tenant-encryption-key', state_before: 'deactivated', fingerprint: expect.any(String) }],
      requested_by: { sub: 'alice' },
      approved_by: [{ sub: 'bob' }],
      audit_chain_head: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // A receipt with one byte of its payload changed does not verify.
    const [header, body, signature] = receipt.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, approved_by: [{ sub: 'mallory', at: claims['executed_at'] }] })).toString('base64url');
    await writeFile(file, [header, forged, signature].join('.'));
    expect(body).not.toBe(forged);
    expect(await runCliStatus(['receipts', 'verify', file, '--url', server.url], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('receipt invalid') });
    expect((await advance('P1D')).status).toBe(200);
    const listed = (await call(bob, 'GET', '/v1/destruction-requests')).body['requests'] as Array<{ id: string; state: string }>;
    expect(listed.filter((request) => request.id === id)).toEqual([expect.objectContaining({ state: 'executed' })]);
  });

  it('a cancel before execution restores the key', async () => {
    const ciphertext = await encrypt();
    await call(alice, 'POST', '/api/v2/keys/encryption/rekey');
    const old = (await keys()).find((key) => key.namespace === 'default' && key.state === 'deactivated')!;
    const id = (await call(alice, 'DELETE', `/api/v2/keys/encryption/${old.kid}`)).body['id'] as string;
    expect((await decrypt(ciphertext)).status).toBe(409);
    expect(await call(alice, 'POST', `/v1/destruction-requests/${id}/cancel`)).toMatchObject({ status: 200, body: { state: 'cancelled', reason: 'cancelled by alice' } });
    expect((await decrypt(ciphertext)).status).toBe(200);
    await advance('P2D');
    expect((await call(alice, 'GET', `/api/v2/keys/encryption/${old.kid}`)).body['state']).toBe('deactivated');
  });

  it('deleting an active CPRK answers 202 and blocks nothing; on execution the TMK is under the ERK and the CPRK destroyed', async () => {
    const work = await mkdtemp(join(tmpdir(), 'keyledger-destruction-byok-'));
    try {
      const cprk = (await call(alice, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' })).body['kid'] as string;
      const wrapping = await call(alice, 'POST', `/api/v2/keys/encryption/${cprk}/wrapping-key`, {});
      await writeFile(join(work, 'wrapping.pem'), wrapping.body['public_key'] as string);
      await writeFile(join(work, 'material.bin'), Buffer.alloc(32, 7));
      const wrapped = (
        await runCli(['byok', 'wrap', '--public-key', join(work, 'wrapping.pem'), '--key-material', join(work, 'material.bin'), '--hash', wrapping.body['oaep_hash'] as string], env)
      ).stdout.trim();
      expect((await call(alice, 'POST', `/api/v2/keys/encryption/${cprk}`, { wrapped_key: wrapped })).status).toBe(201);

      const requested = await call(alice, 'DELETE', `/api/v2/keys/encryption/${cprk}`);
      expect(requested).toMatchObject({ status: 202, body: { action: 'delete_cprk', kids: [cprk], state: 'pending' } });
      const ciphertext = await encrypt();
      expect((await decrypt(ciphertext)).status).toBe(200);
      expect((await keys()).find((key) => key.type === 'tenant-master-key' && key.state === 'active')!.parent_kid).toBe(cprk);

      await call(bob, 'POST', `/v1/destruction-requests/${requested.body['id'] as string}/approve`);
      await advance('P1D');
      const after = await keys();
      const erk = after.find((key) => key.type === 'environment-root-key')!;
      expect(after.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!.parent_kid).toBe(erk.kid);
      expect(after.find((key) => key.kid === cprk)!.state).toBe('destroyed');
      expect((await decrypt(ciphertext)).status).toBe(200);
      // The receipt says what the root key store did with the CPRK.
      const receipt = await receiptOf(alice, requested.body['id'] as string);
      const claims = decodeJwt(receipt);
      expect(claims['keys']).toEqual([expect.objectContaining({ kid: cprk, type: 'customer-provided-root-key', state_before: 'active' })]);
      expect(claims['root_key_store_operations']).toEqual([{ kid: cprk, operation: 'delete', detail: expect.stringContaining('development key file') }]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('a shred answers 202 and makes every key of the tenant unusable while it is live; a cancel restores them', async () => {
    const ciphertext = await encrypt();
    const requested = await call(alice, 'DELETE', '/v1/tenant');
    expect(requested).toMatchObject({ status: 202, body: { action: 'shred_tenant', state: 'pending', required_approvals: 1 } });
    const id = requested.body['id'] as string;
    expect((await call(alice, 'DELETE', '/v1/tenant')).body['id']).toBe(id);
    for (const refused of [await decrypt(ciphertext), await call(alice, 'POST', '/v1/namespaces/default/encrypt', { plaintext: Buffer.from('x').toString('base64') })]) {
      expect(refused).toMatchObject({ status: 409, body: { errorCode: 'destruction_pending' } });
      expect(refused.body.message).toContain(id);
    }
    expect((await call(alice, 'POST', '/api/v2/keys/encryption/rekey')).body.message).toContain(`pending a shred (destruction request ${id})`);
    expect((await call(alice, 'GET', `/v1/destruction-receipts/${id}`)).body).toMatchObject({ errorCode: 'destruction_receipt_not_found' });
    expect(await call(bob, 'POST', `/v1/destruction-requests/${id}/cancel`)).toMatchObject({ status: 200, body: { state: 'cancelled' } });
    expect((await decrypt(ciphertext)).status).toBe(200);
    await advance('P2D');
    expect((await keys()).length).toBeGreaterThan(0);
  });

  it('puts every step in the audit log', async () => {
    const types = await eventually(async () => {
      const logs = (await call(alice, 'GET', '/api/v2/logs?q=type:destruction_*&per_page=100')).body as unknown as Array<{ type: string }>;
      const seen = new Set(logs.map((log) => log.type));
      return ['destruction_requested', 'destruction_approved', 'destruction_executed', 'destruction_cancelled'].every((type) => seen.has(type)) ? seen : undefined;
    }, 'the destruction steps in the audit log');
    expect([...types].sort()).toEqual(['destruction_approved', 'destruction_cancelled', 'destruction_executed', 'destruction_requested']);
  });

  it('publishes every step on the bus, each matching its JSON Schema in docs/events', async () => {
    const events = await eventually(async () => {
      const lines = (await readFile(join(dataDir, 'destruction.ndjson'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      const parsed = lines.map((line) => JSON.parse(line) as { 'detail-type': string; detail: Record<string, unknown> });
      const shredCancelled = parsed.some((event) => event.detail['action'] === 'shred_tenant' && event['detail-type'] === 'destruction_cancelled');
      return new Set(parsed.map((event) => event['detail-type'])).size >= 4 && shredCancelled ? parsed : undefined;
    }, 'the destruction steps on the bus');
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const event of events) {
      const validate = ajv.getSchema(event['detail-type']) ?? (ajv.addSchema(JSON.parse(await readFile(join(EVENT_DOCS, `${event['detail-type']}.schema.json`), 'utf8')), event['detail-type']), ajv.getSchema(event['detail-type'])!);
      expect({ type: event['detail-type'], valid: validate(event), errors: validate.errors ?? null }).toEqual({ type: event['detail-type'], valid: true, errors: null });
    }
    expect(new Set(events.map((event) => event['detail-type']))).toEqual(new Set(['destruction_requested', 'destruction_approved', 'destruction_executed', 'destruction_cancelled']));
    expect(events.filter((event) => event.detail['action'] === 'shred_tenant').map((event) => event['detail-type'])).toEqual(['destruction_requested', 'destruction_cancelled']);
  });
});
