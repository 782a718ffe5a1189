import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { eventually, freePort, runCli, runCliStatus, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

interface Key {
  kid: string;
  type: string;
  state: string;
  parent_kid: string | null;
}
interface Log {
  log_id: string;
  date: string;
  type: string;
  description: string;
  details: Record<string, unknown> & { event_id: string };
  tenant_name: string;
  integrity: { sequence: number };
}

const TENANT = 'acme';
const ALL = 'read:encryption_keys create:encryption_keys update:encryption_keys read:logs';
const DESTROYED_RULE = { 'detail-type': ['kms_key_state_changed'], detail: { to: ['destroyed'] } };

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let token: string;
let dynamoPort: number;
let busFile: string;

async function mint(scope: string, tenant = TENANT): Promise<string> {
  return (await runCli(['token', '--tenant', tenant, '--scope', scope], env)).stdout.trim();
}

async function api(path: string, options: { method?: string; bearer?: string } = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: options.method ?? 'GET',
    headers: { authorization: `Bearer ${options.bearer ?? token}` },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const listKeys = async (): Promise<Key[]> => (await api('/api/v2/keys/encryption?per_page=100')).body as Key[];

/** The whole tenant log, oldest first, through checkpoint paging. */
async function allLogs(): Promise<Log[]> {
  const logs: Log[] = [];
  let from = '';
  for (;;) {
    const { status, body } = await api(`/api/v2/logs?take=100${from ? `&from=${from}` : ''}`);
    expect(status).toBe(200);
    logs.push(...(body as Log[]));
    if ((body as Log[]).length < 100) return logs;
    from = (body as Log[]).at(-1)!.log_id;
  }
}

const rekeySapi = (logs: Log[]) => logs.filter((log) => log.type === 'sapi' && log.details['route'] === 'POST /api/v2/keys/encryption/rekey');

async function busEvents(): Promise<Array<{ 'detail-type': string; detail: { event_id: string; to: string; kid: string } }>> {
  const text = await readFile(busFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

const dynamo = () =>
  new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoPort}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const auditTable = 'keyledger-local-AuditLog';
const entryKey = (sequence: number) => ({ tenant: { S: TENANT }, entry_key: { S: `log#${String(sequence).padStart(20, '0')}` } });

async function restart(extra: NodeJS.ProcessEnv = {}) {
  await server.stop('SIGTERM');
  server = await startServer({ ...env, ...extra });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-audit-e2e-'));
  dynamoPort = await freePort();
  busFile = join(dataDir, 'destroyed.ndjson');
  const rulesFile = join(dataDir, 'rules.json');
  await writeFile(rulesFile, JSON.stringify([{ name: 'destroyed-keys', event_pattern: DESTROYED_RULE, target: { file: 'destroyed.ndjson' } }]));
  env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_DYNAMODB_PORT: String(dynamoPort), KEYLEDGER_EVENT_RULES: rulesFile, KEYLEDGER_OUTBOX_POLL_MS: '200' };
  server = await startServer(env);
  token = await mint(ALL);
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('audit trail over the local stack', () => {
  let rekeyRequestId: string;

  it('logs a rekey as one sapi, one kms_key_state_changed per changed key, and kms_key_management_success', async () => {
    const before = await listKeys();
    expect((await api('/api/v2/keys/encryption/rekey', { method: 'POST' })).status).toBe(204);
    const after = await listKeys();

    const logs = await eventually(async () => {
      const current = await allLogs();
      const changes = current.filter((log) => log.type === 'kms_key_state_changed' && log.details['cause'] === 'rekey');
      return rekeySapi(current).length === 1 && changes.length === after.length - before.length + before.filter((key) => key.state === 'active' && key.type !== 'environment-root-key').length ? current : undefined;
    }, 'the rekey in the log');

    const sapi = rekeySapi(logs);
    expect(sapi).toHaveLength(1);
    expect(sapi[0]!.details).toMatchObject({ method: 'POST', status: 204, path: '/api/v2/keys/encryption/rekey' });
    rekeyRequestId = sapi[0]!.details['request_id'] as string;

    const changes = logs.filter((log) => log.type === 'kms_key_state_changed' && log.details['cause'] === 'rekey');
    const expected = [
      ...before
        .filter((key) => key.state === 'active' && key.type === 'tenant-master-key')
        .map((key) => [key.kid, 'active', 'destroyed']),
      ...before
        .filter((key) => key.state === 'active' && key.type === 'tenant-encryption-key')
        .map((key) => [key.kid, 'active', 'deactivated']),
      ...after.filter((key) => !before.some((old) => old.kid === key.kid)).map((key) => [key.kid, null, 'active']),
    ];
    expect(changes.map((log) => [log.details['kid'], log.details['from'], log.details['to']]).sort()).toEqual(expected.sort());
    for (const [kid, , to] of expected) expect(after.find((key) => key.kid === kid)?.state).toBe(to);

    const management = logs.filter((log) => log.type === 'kms_key_management_success' && log.details['request_id'] === rekeyRequestId);
    expect(management.map((log) => log.details['operation']).sort()).toEqual(['unwrap', 'wrap']);
    expect(logs.every((log) => log.tenant_name === TENANT)).toBe(true);
  });

  it('delivers to a local rule exactly the events its pattern matches', async () => {
    const logs = await allLogs();
    const destroyedInLog = logs
      .filter((log) => log.type === 'kms_key_state_changed' && log.details['to'] === 'destroyed')
      .map((log) => log.details.event_id);
    expect(destroyedInLog.length).toBeGreaterThan(0);

    const delivered = await eventually(async () => {
      const events = await busEvents();
      return new Set(events.map((event) => event.detail.event_id)).size === destroyedInLog.length ? events : undefined;
    }, 'the rule target file');

    expect(delivered.every((event) => event['detail-type'] === 'kms_key_state_changed' && event.detail.to === 'destroyed')).toBe(true);
    expect([...new Set(delivered.map((event) => event.detail.event_id))].sort()).toEqual([...destroyedInLog].sort());
  });

  it('logs a rekey refused for lack of scope as an fapi and changes nothing', async () => {
    const before = await listKeys();
    const readOnly = await mint('read:encryption_keys create:encryption_keys');

    const refused = await api('/api/v2/keys/encryption/rekey', { method: 'POST', bearer: readOnly });

    expect(refused.status).toBe(403);
    expect(await listKeys()).toEqual(before);
    const fapi = await eventually(async () => (await allLogs()).find((log) => log.type === 'fapi' && log.details['status'] === 403), 'the fapi');
    expect(fapi.details).toMatchObject({
      route: 'POST /api/v2/keys/encryption/rekey',
      error_code: 'insufficient_scope',
      actor: expect.objectContaining({ scopes: ['create:encryption_keys', 'read:encryption_keys'] }),
    });
  });

  it('logs a root key store failure as kms_key_management_failure and leaves every key state unchanged', async () => {
    await restart({ KEYLEDGER_FAULTS: 'root-key-store.wrap' });
    const before = await listKeys();

    const failed = await api('/api/v2/keys/encryption/rekey', { method: 'POST' });

    expect(failed.status).toBe(503);
    expect(JSON.stringify(failed.body)).not.toMatch(/injected|unavailable for wrap/i);
    expect(await listKeys()).toEqual(before);
    const logs = await eventually(async () => {
      const current = await allLogs();
      return current.some((log) => log.type === 'kms_key_management_failure') && current.some((log) => log.type === 'fapi' && log.details['status'] === 503) ? current : undefined;
    }, 'the failure in the log');
    const failure = logs.find((log) => log.type === 'kms_key_management_failure')!;
    expect(failure.details).toMatchObject({ operation: 'wrap', reason: 'unavailable', key_store: 'software' });
    expect(failure.details['request_id']).toBe(logs.find((log) => log.type === 'fapi' && log.details['status'] === 503)!.details['request_id']);
    await restart();
  });

  it('loses nothing when the process dies between a commit and its publication, and logs each event once', async () => {
    const before = await listKeys();
    const oldTmk = before.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
    await restart({ KEYLEDGER_FAULTS: 'crash-after-commit' });

    await expect(api('/api/v2/keys/encryption/rekey', { method: 'POST' })).rejects.toThrow();
    expect(await server.stop()).toBeNull(); // killed by SIGKILL, not a clean exit
    const destroyedBeforeRestart = (await busEvents()).filter((event) => event.detail.kid === oldTmk.kid);
    server = await startServer(env);

    const after = await listKeys();
    const newTmk = after.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
    expect(newTmk.kid).not.toBe(oldTmk.kid);
    const logs = await eventually(async () => {
      const current = await allLogs();
      const kids = current.filter((log) => log.type === 'kms_key_state_changed').map((log) => log.details['kid']);
      return kids.includes(newTmk.kid) && kids.includes(oldTmk.kid) ? current : undefined;
    }, 'the crashed commit in the log');
    const bus = await eventually(async () => {
      const events = await busEvents();
      return events.some((event) => event.detail.kid === oldTmk.kid) ? events : undefined;
    }, 'the crashed commit on the bus');

    expect(destroyedBeforeRestart).toEqual([]); // committed, never published before the crash
    // the crash also came before the sweep: the first call after the restart deletes the destroyed TMK's material
    const client = dynamo();
    const { Items } = await client.send(new ScanCommand({ TableName: 'keyledger-local-KeyMaterial' }));
    client.destroy();
    expect((Items ?? []).map((item) => item['kid']?.S)).not.toContain(oldTmk.kid);
    expect(bus.some((event) => event.detail.kid === oldTmk.kid && event.detail.to === 'destroyed')).toBe(true);
    const eventIds = logs.map((log) => log.details.event_id);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(logs.map((log) => log.integrity.sequence)).toEqual(logs.map((_, index) => index + 1));
  });

  it('verifies the chain, and names an entry edited or deleted directly in the table', async () => {
    const verify = () => runCliStatus(['logs', 'verify', '--tenant', TENANT, '--url', server.url], env);
    const intact = await verify();
    expect(intact).toMatchObject({ code: 0 });
    expect(intact.stdout).toMatch(/Chain intact: \d+ entries/);

    const client = dynamo();
    const logs = await allLogs();
    const target = logs[2]!;
    const { Item: original } = await client.send(new GetItemCommand({ TableName: auditTable, Key: entryKey(3) }));
    const edited = { ...JSON.parse(original!['entry']!.S!), description: 'nothing happened here' };
    await client.send(new PutItemCommand({ TableName: auditTable, Item: { ...original!, entry: { S: JSON.stringify(edited) } } }));
    const afterEdit = await verify();
    await client.send(new PutItemCommand({ TableName: auditTable, Item: original! }));
    expect(await verify()).toMatchObject({ code: 0 });

    const deletedEntry = logs[4]!;
    await client.send(new DeleteItemCommand({ TableName: auditTable, Key: entryKey(5) }));
    const afterDelete = await verify();
    client.destroy();

    expect(afterEdit.code).toBe(1);
    expect(afterEdit.stderr).toContain(`Entry ${target.log_id} (sequence 3) was edited`);
    expect(afterDelete.code).toBe(1);
    expect(afterDelete.stderr).toContain(`Entry ${deletedEntry.log_id} (sequence 5) was deleted`);
  });
});
