/**
 * The backup and restore drill (issue 19), against `npm start`'s server and the CLI exactly as
 * the runbook (docs/operations.md) has an operator run them: data written (envelopes, secrets, a
 * BYOK tenant, a rekey, audit entries), `keyledger backup create` with the stack stopped, then
 * destructions after the backup (a rekey that destroys the TMK, a retired namespace key, a shred),
 * the data dir destroyed, `keyledger backup restore` into a dir holding the root key only, and
 * the stack started again: everything live reads, the chains verify, and nothing destroyed is back.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callJson, freePort, runCli, runCliStatus, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(240_000);

const SCOPES = [
  'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys',
  'encrypt decrypt create:secrets read:secrets update:secrets delete:secrets',
  'read:logs read:destruction_requests delete:tenant',
].join(' ');

type Key = { kid: string; type: string; state: string; namespace?: string | null; parent_kid: string | null };

let work: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess | undefined;

const b64 = (text: string) => Buffer.from(text).toString('base64');
const token = async (tenant: string) => (await runCli(['token', '--tenant', tenant, '--scope', SCOPES], env)).stdout.trim();
const call = (bearer: string, method: string, path: string, body?: unknown) => callJson(server!.url, bearer, method, path, body);
const keys = async (bearer: string) => (await call(bearer, 'GET', '/api/v2/keys/encryption?per_page=100')).body as unknown as Key[];
const encrypt = async (bearer: string, text: string) => {
  const reply = await call(bearer, 'POST', '/v1/namespaces/default/encrypt', { plaintext: b64(text) });
  expect(reply.status).toBe(200);
  return reply.body as { ciphertext: string; kid: string };
};
const decrypt = (bearer: string, ciphertext: string) => call(bearer, 'POST', '/v1/namespaces/default/decrypt', { ciphertext });
const verifyLog = (bearer: string) => runCliStatus(['logs', 'verify'], { ...env, KEYLEDGER_URL: server!.url, KEYLEDGER_TOKEN: bearer });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'keyledger-drill-'));
  dataDir = join(work, 'data');
  env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_RETIRE_QUIET_PERIOD: 'PT0S', KEYLEDGER_OUTBOX_POLL_MS: '200' };
});
afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

it('backs up, loses the data dir, restores, and brings back everything but what was destroyed after the backup', async () => {
  server = await startServer(env);
  const alpha = await token('alpha');
  const doomed = await token('doomed');
  const byok = await token('byok');

  // Before the backup: envelopes, secrets, a rekey, a BYOK tenant, and audit entries with all of it.
  const early = await encrypt(alpha, 'written before the first rekey');
  expect((await call(alpha, 'PUT', '/v1/secrets/db.password', { value: 'hunter2' })).status).toBe(201);
  expect((await call(alpha, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
  const late = await encrypt(alpha, 'written after the first rekey');
  expect((await call(alpha, 'PUT', '/v1/secrets/api.key', { value: 'abc123' })).status).toBe(201);
  const doomedEnvelope = await encrypt(doomed, 'the doomed tenant');
  const cprk = (await call(byok, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' })).body as unknown as Key;
  const wrapping = (await call(byok, 'POST', `/api/v2/keys/encryption/${cprk.kid}/wrapping-key`)).body as { public_key: string; oaep_hash: string };
  await writeFile(join(work, 'wrapping.pem'), wrapping.public_key);
  await writeFile(join(work, 'material.bin'), Buffer.alloc(32, 9));
  const wrapped = (await runCli(['byok', 'wrap', '--public-key', join(work, 'wrapping.pem'), '--key-material', join(work, 'material.bin'), '--hash', wrapping.oaep_hash], env)).stdout.trim();
  expect((await call(byok, 'POST', `/api/v2/keys/encryption/${cprk.kid}`, { wrapped_key: wrapped })).status).toBe(201);
  const byokEnvelope = await encrypt(byok, 'under a customer key');
  const beforeBackup = await keys(alpha);
  const tmkAtBackup = beforeBackup.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
  expect(beforeBackup.find((key) => key.kid === early.kid)!.state).toBe('deactivated');
  expect((await verifyLog(alpha)).code).toBe(0);
  await server.stop();
  server = undefined;

  // The backup: with the stack stopped, to a new owner-only file that holds no root key.
  const file = join(work, 'keyledger.backup');
  const created = await runCli(['backup', 'create', file], env);
  expect(created.stdout).toMatch(/backed up \d+ items of \d+ tables/);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  const rootKey = JSON.parse(await readFile(join(dataDir, 'root-key.json'), 'utf8')) as { key: string };
  const backupText = await readFile(file, 'utf8');
  expect(rootKey.key.length).toBeGreaterThanOrEqual(32);
  expect(backupText).not.toContain(rootKey.key);
  expect(backupText).not.toContain('hunter2');
  expect((await runCliStatus(['backup', 'create', file], env)).code).not.toBe(0);

  // After the backup: the TMK of the backup destroyed by a rekey, a deactivated namespace key retired, a tenant shredded.
  server = await startServer(env);
  expect((await call(alpha, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
  expect((await call(alpha, 'DELETE', `/api/v2/keys/encryption/${early.kid}`)).status).toBe(204);
  expect((await call(doomed, 'DELETE', '/v1/tenant')).status).toBe(200);
  expect((await decrypt(alpha, early.ciphertext)).status).toBeGreaterThanOrEqual(400);
  await server.stop();
  server = undefined;
  // An append lost (a crash between the commit and it): the next start puts it back from the key catalog and the stream.
  const ledgerPath = `${dataDir}.destruction-ledger.jsonl`;
  const lines = (await readFile(ledgerPath, 'utf8')).split('\n').filter(Boolean);
  await writeFile(ledgerPath, `${lines.filter((line) => !line.includes(early.kid)).join('\n')}\n`);
  server = await startServer(env);
  await server.stop();
  server = undefined;
  expect(await readFile(ledgerPath, 'utf8')).toMatch(new RegExp(`"kid":"${early.kid}","keyType":"tenant-encryption-key","cause":"reconciled"`));

  // The data dir is lost; only the root key store's files (kept apart: the root key, the customer keys) and the dev issuer key survive.
  await rename(join(dataDir, 'root-key.json'), join(work, 'root-key.json'));
  await rename(join(dataDir, 'customer-root-keys'), join(work, 'customer-root-keys'));
  await rename(join(dataDir, 'dev-issuer.json'), join(work, 'dev-issuer.json'));
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { mode: 0o700 });
  const missing = await runCliStatus(['backup', 'restore', file], env);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain(`${join(dataDir, 'root-key.json')} is missing`);
  await rename(join(work, 'root-key.json'), join(dataDir, 'root-key.json'));
  await rename(join(work, 'customer-root-keys'), join(dataDir, 'customer-root-keys'));
  await rename(join(work, 'dev-issuer.json'), join(dataDir, 'dev-issuer.json'));
  const restored = await runCli(['backup', 'restore', file], env);
  expect(restored.stdout).toMatch(/checked 3 tenants \(1 shredded\): \d+ audit entries verify, \d+ live keys unwrap/);
  expect(restored.stdout).toContain('ok: start it with `npm start`');
  expect((await readdir(dataDir)).sort()).toEqual(expect.arrayContaining(['dev-issuer.json', 'dynamodb', 'root-key.json']));
  // Into another data dir, the ledger must come along: without it (or a shorter one) the restore refuses.
  const elsewhere = { ...env, KEYLEDGER_DATA_DIR: join(work, 'elsewhere') };
  await mkdir(join(work, 'elsewhere'), { mode: 0o700 });
  await copyFile(join(dataDir, 'root-key.json'), join(work, 'elsewhere', 'root-key.json'));
  const noLedger = await runCliStatus(['backup', 'restore', file], elsewhere);
  expect(noLedger.code).not.toBe(0);
  expect(noLedger.stderr).toContain('No destruction ledger at');
  await writeFile(join(work, 'short.jsonl'), '');
  const short = await runCliStatus(['backup', 'restore', file, '--ledger', join(work, 'short.jsonl')], elsewhere);
  expect(short.stderr).toMatch(/holds 0 entries, fewer than the \d+ it held when the backup was taken/);

  server = await startServer(env);
  // What was live reads.
  expect((await decrypt(alpha, late.ciphertext)).body).toMatchObject({ plaintext: b64('written after the first rekey') });
  expect((await decrypt(byok, byokEnvelope.ciphertext)).body).toMatchObject({ plaintext: b64('under a customer key') });
  expect((await call(alpha, 'GET', '/v1/secrets/db.password')).body).toMatchObject({ value: 'hunter2' });
  expect((await call(alpha, 'GET', '/v1/secrets/api.key')).body).toMatchObject({ value: 'abc123' });
  expect((await verifyLog(alpha)).code).toBe(0);
  expect((await verifyLog(byok)).code).toBe(0);
  // Nothing destroyed after the backup is back: the retired key, the TMK of the backup, the shredded tenant.
  const afterRestore = await keys(alpha);
  expect(afterRestore.find((key) => key.kid === early.kid)?.state ?? 'destroyed').toBe('destroyed');
  expect(afterRestore.find((key) => key.kid === tmkAtBackup.kid)?.state ?? 'destroyed').toBe('destroyed');
  expect((await decrypt(alpha, early.ciphertext)).status).toBeGreaterThanOrEqual(400);
  expect((await decrypt(doomed, doomedEnvelope.ciphertext)).status).toBe(410);
  // And the stack goes on: new envelopes under a new active key.
  const fresh = await encrypt(alpha, 'after the restore');
  expect((await decrypt(alpha, fresh.ciphertext)).body).toMatchObject({ plaintext: b64('after the restore') });
});
