/**
 * The Region failover drill (issue 19): two local stacks, each playing a Region on its own
 * dynalite, with a replication shim between them that does what global tables do (per-item
 * replication after a lag, last writer wins). eu-west-1 writes; eu-central-1 serves reads and
 * refuses changes with 503 read_only_region. Then eu-west-1 is lost with a commit it had not
 * replicated, the write Region moves to eu-central-1 (the runbook's step: KEYLEDGER_WRITE_REGION),
 * and the tenant goes on there: its data reads, its chain verifies, nothing was published twice,
 * and the lost commit is the recovery point.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callJson, eventually, freePort, runCli, runCliStatus, stackEnv, startServer, type ServerProcess } from '../support/localProcess';
import { dynaliteClient, ReplicationShim } from '../support/replicationShim';

jest.setTimeout(180_000);

const TENANT = 'globex';
const SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys encrypt decrypt create:secrets read:secrets read:logs';
const b64 = (text: string) => Buffer.from(text).toString('base64');

let work: string;
let west: ServerProcess | undefined;
let central: ServerProcess | undefined;
let shim: ReplicationShim | undefined;

afterAll(async () => {
  await shim?.stop();
  await west?.stop('SIGKILL');
  await central?.stop();
  await rm(work, { recursive: true, force: true });
});

it('serves reads in the replica Region, refuses changes there, and fails over with the unreplicated commit as the only loss', async () => {
  work = await mkdtemp(join(tmpdir(), 'keyledger-regions-'));
  const ports = { west: await freePort(), central: await freePort() };
  const env = (dir: string, region: string, writeRegion: string, port: number, dynamoPort: number) => ({
    ...stackEnv(port, join(work, dir)),
    KEYLEDGER_DYNAMODB_PORT: String(dynamoPort),
    KEYLEDGER_REGION: region,
    KEYLEDGER_WRITE_REGION: writeRegion,
    KEYLEDGER_OUTBOX_POLL_MS: '100',
  });
  const westEnv = env('west', 'eu-west-1', 'eu-west-1', await freePort(), ports.west);
  west = await startServer(westEnv);
  // One environment: the replica Region has the same root key (a multi-Region key) and issuer.
  await mkdir(join(work, 'central'), { mode: 0o700 });
  for (const file of ['root-key.json', 'dev-issuer.json']) await copyFile(join(work, 'west', file), join(work, 'central', file));
  const centralPort = await freePort();
  const centralEnv = (writeRegion: string) => env('central', 'eu-central-1', writeRegion, centralPort, ports.central);
  central = await startServer(centralEnv('eu-west-1'));
  shim = new ReplicationShim({ a: dynaliteClient(ports.west), b: dynaliteClient(ports.central) }, 300);
  shim.start(100);

  const token = (await runCli(['token', '--tenant', TENANT, '--scope', SCOPES], westEnv)).stdout.trim();
  const at = (server: ServerProcess, method: string, path: string, body?: unknown) => callJson(server.url, token, method, path, body);
  const logs = async (server: ServerProcess) => ((await at(server, 'GET', '/api/v2/logs?per_page=100&sort=date:1')).body as unknown as Array<{ log_id: string }>);

  // Written in the write Region, replicated after the lag.
  const envelope = (await at(west!, 'POST', '/v1/namespaces/default/encrypt', { plaintext: b64('written in eu-west-1') })).body as { ciphertext: string };
  expect((await at(west!, 'PUT', '/v1/secrets/db.password', { value: 'hunter2' })).status).toBe(201);
  await eventually(async () => ((await at(central!, 'GET', '/v1/secrets/db.password')).status === 200 ? true : undefined), 'the secret in eu-central-1');
  expect((await at(central!, 'POST', '/v1/namespaces/default/decrypt', { ciphertext: envelope.ciphertext })).body).toMatchObject({ plaintext: b64('written in eu-west-1') });
  // The replica Region changes nothing, and says where to go.
  const refused = await at(central!, 'POST', '/api/v2/keys/encryption/rekey');
  expect(refused).toMatchObject({ status: 503, body: { errorCode: 'read_only_region', message: expect.stringContaining('write Region eu-west-1') } });
  // Not only the hierarchy: a secret's new version (which both Regions could write as the same version) too.
  expect(await at(central!, 'PUT', '/v1/secrets/db.password', { value: 'from the replica' })).toMatchObject({ status: 503, body: { errorCode: 'read_only_region' } });

  // Every event is published once, by the Region that committed it: the chains are the same on both sides.
  await eventually(async () => ((await logs(west!)).length >= 5 ? true : undefined), 'the audit entries in eu-west-1');
  await shim.drain();
  const westLog = (await logs(west!)).map((entry) => entry.log_id);
  await eventually(async () => (JSON.stringify((await logs(central!)).map((entry) => entry.log_id)) === JSON.stringify(westLog) ? true : undefined), 'the same chain in eu-central-1');
  const keysBefore = (await at(central!, 'GET', '/api/v2/keys/encryption')).body as unknown as Array<{ kid: string; type: string; state: string }>;
  const tmkBefore = keysBefore.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!.kid;

  // eu-west-1 is lost with a rekey it had not replicated yet.
  shim.pause();
  expect((await at(west!, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
  await west!.stop('SIGKILL');
  west = undefined;

  // Failover: eu-central-1 becomes the write Region.
  await central.stop();
  central = await startServer(centralEnv('eu-central-1'));
  const keysAfter = (await at(central!, 'GET', '/api/v2/keys/encryption')).body as unknown as Array<{ kid: string; type: string; state: string }>;
  // The recovery point: the unreplicated rekey is lost; the tenant is as it was replicated.
  expect(keysAfter.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!.kid).toBe(tmkBefore);
  expect((await at(central!, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
  expect((await at(central!, 'POST', '/v1/namespaces/default/decrypt', { ciphertext: envelope.ciphertext })).body).toMatchObject({ plaintext: b64('written in eu-west-1') });
  expect((await at(central!, 'GET', '/v1/secrets/db.password')).body).toMatchObject({ value: 'hunter2' });
  await eventually(async () => ((await logs(central!)).length > westLog.length ? true : undefined), 'the rekey in the chain of eu-central-1');
  const verified = await runCliStatus(['logs', 'verify'], { ...centralEnv('eu-central-1'), KEYLEDGER_URL: central.url, KEYLEDGER_TOKEN: token });
  expect(verified).toMatchObject({ code: 0 });
});
