import type { Context } from 'aws-lambda';
import { ActivityRecorder } from '@keyledger/activity';
import { createDataPlaneStores, DynamoDbSecretControls, MAX_BATCH_BYTES, MAX_BATCH_ITEMS } from '@keyledger/data-plane';
import { silentLogger } from '@keyledger/domain';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { httpEvent } from '@keyledger/http/testing';
import { useServiceHarness } from '@keyledger/key-hierarchy/testing';
import { createCryptoDataPlaneService } from '../service';

const fixture = useServiceHarness({ namespaces: ['default'], snapshotEvery: 5, tenantPrefix: 'batch' });
const b64 = (text: string) => Buffer.from(text).toString('base64');

function setup() {
  const db = fixture.dynamo;
  const stores = createDataPlaneStores(db.client, db.tables, { usageFlushIntervalMs: 60_000 });
  const { service: keySource } = fixture.harness({ dependents: stores.dependents });
  const activity = new ActivityRecorder({ eventStore: new DynamoDbEventStore({ client: db.client, eventsTable: db.tables.events, snapshotsTable: db.tables.snapshots, snapshotHistoryTable: db.tables.snapshotHistory }) });
  const { router } = createCryptoDataPlaneService({ keySource, stores, namespaces: ['default'], usageFlushIntervalMs: 60_000, secretControls: new DynamoDbSecretControls({ client: db.client, tableName: db.tables.secrets }), activity, tenantClaim: 'tenant_id', logger: silentLogger });
  const tenant = fixture.newTenant();
  const call = async (operation: 'encrypt' | 'decrypt' | 'rewrap', body: unknown) => {
    const event = httpEvent(`POST /v1/namespaces/{ns}/${operation}`, {
      claims: { sub: 'svc', tenant_id: tenant, scope: 'encrypt decrypt rewrap' },
      path: { ns: 'default' },
      headers: { 'content-type': 'application/json' },
    });
    event.body = JSON.stringify(body);
    const result = await router(event, {} as Context);
    return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') as Record<string, unknown> & { batch?: Array<Record<string, unknown>> } };
  };
  return { call, keySource, tenant };
}

describe('batches of encrypt, decrypt and rewrap', () => {
  it('answers every item in order, each with its own result or its own Auth0-shaped error', async () => {
    const { call } = setup();
    const encrypted = await call('encrypt', { batch: [{ plaintext: b64('one') }, { plaintext: 'not base64!' }, { plaintext: b64('three'), encryption_context: { n: '3' } }] });
    expect(encrypted.status).toBe(200);
    const [one, bad, three] = encrypted.body.batch!;
    expect(one).toEqual({ ciphertext: expect.any(String), kid: expect.any(String) });
    expect(bad).toEqual({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_body', message: 'Item 1 plaintext: is not valid base64 (standard alphabet, with = padding)' });
    const decrypted = await call('decrypt', {
      batch: [
        { ciphertext: three!['ciphertext'], encryption_context: { n: '3' } },
        { ciphertext: three!['ciphertext'], encryption_context: { n: '4' } },
        { ciphertext: one!['ciphertext'] },
      ],
    });
    expect(decrypted.body.batch!.map((item) => item['plaintext'] ?? item['errorCode'])).toEqual([b64('three'), 'decryption_failed', b64('one')]);
    const rewrapped = await call('rewrap', { batch: [{ ciphertext: one!['ciphertext'] }, { ciphertext: b64('KL') }] });
    expect(rewrapped.body.batch![0]).toEqual({ ciphertext: one!['ciphertext'], kid: one!['kid'] });
    expect(rewrapped.body.batch![1]).toMatchObject({ statusCode: 400, errorCode: 'invalid_ciphertext' });
  });

  it('refuses a batch that is not one whole (too many items, too many bytes, other fields, not an array)', async () => {
    const { call } = setup();
    const cases: Array<[unknown, RegExp]> = [
      [{ batch: Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => ({ plaintext: b64('x') })) }, new RegExp(`batch must hold 1 to ${MAX_BATCH_ITEMS} items \\(it holds ${MAX_BATCH_ITEMS + 1}\\)`)],
      [{ batch: [] }, /batch must hold 1 to/],
      [{ batch: Array.from({ length: 3 }, () => ({ plaintext: Buffer.alloc(200 * 1024).toString('base64') })) }, new RegExp(`more than ${MAX_BATCH_BYTES} bytes in all`)],
      [{ batch: [{ plaintext: b64('x') }], plaintext: b64('y') }, /a batch request holds only "batch" \(found plaintext\)/],
      [{ batch: { plaintext: b64('x') } }, /batch must be an array/],
    ];
    for (const [body, message] of cases) {
      const refused = await call('encrypt', body);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ errorCode: 'invalid_body' });
      expect(refused.body['message']).toMatch(message);
    }
    // A single item keeps its own answer.
    expect((await call('encrypt', { plaintext: b64('single') })).body).toEqual({ ciphertext: expect.any(String), kid: expect.any(String) });
  });

  it('counts a batch in decoded bytes, padding not included: exactly the limit is accepted', async () => {
    const { call } = setup();
    // 8,192 bytes encode to 10,924 characters with two padding characters.
    const exact = { batch: Array.from({ length: MAX_BATCH_BYTES / 8192 }, () => ({ plaintext: Buffer.alloc(8192).toString('base64') })) };
    const answer = await call('encrypt', exact);
    expect([answer.status, answer.body.batch?.length]).toEqual([200, MAX_BATCH_BYTES / 8192]);
  });
});
