import { Readable } from 'node:stream';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tenantStreamId } from '@keyledger/domain';
import { EVENTS_ATTR } from '@keyledger/dynamodb';
import { useServiceHarness } from '@keyledger/key-hierarchy/testing';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createLedgerRebuildLambda, createLedgerWriterLambda } from './lambda';
import { ledgerObjectKey, S3DestructionLedger, PAGE_VERSIONS } from './s3DestructionLedger';

const fixture = useServiceHarness({ namespaces: ['default'], snapshotEvery: 50, tenantPrefix: 'ledger' });
const s3 = mockClient(S3Client);
const BUCKET = 'keyledger-prod-ledger';
const alice = { sub: 'alice', clientId: 'cli' };
beforeEach(() => s3.reset());

/** The event table's items of a tenant's stream, as a DynamoDB stream's NEW_IMAGE carries them, as one stream batch. */
async function streamBatch(tenant: string): Promise<DynamoDBStreamEvent> {
  const { Items } = await fixture.dynamo.client.send(
    new QueryCommand({
      TableName: fixture.dynamo.tables.events,
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': EVENTS_ATTR.streamId },
      ExpressionAttributeValues: { ':s': { S: tenantStreamId(tenant) } },
    }),
  );
  return { Records: Items!.map((image, index) => ({ eventName: 'INSERT', dynamodb: { SequenceNumber: String(100 + index), NewImage: image } })) } as unknown as DynamoDBStreamEvent;
}

const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));

describe('the destruction ledger writer (AWS: the event table stream to S3 with Object Lock)', () => {
  it('records each destroying commit of the stream as one object, from the committed events alone, with the checksum Object Lock requires', async () => {
    const { service } = fixture.harness();
    const tenant = fixture.newTenant();
    const first = await service.ensureProvisioned(tenant);
    await service.rekey(tenant);
    await service.shredTenant(tenant, alice);
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
    const handler = createLedgerWriterLambda({ KEYLEDGER_DESTRUCTION_LEDGER_BUCKET: BUCKET }, new S3Client({ region: 'eu-west-1' }));

    expect(await handler(await streamBatch(tenant))).toEqual({ batchItemFailures: [] });

    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    // Provisioning destroys nothing; the rekey destroys the first TMK; the shred, everything left.
    expect(puts).toHaveLength(2);
    const [rekey, shred] = puts.map((input) => ({ ...input, Body: JSON.parse(input.Body as string) as { format: string; entries: Array<Record<string, unknown>> } }));
    expect(rekey).toEqual({
      Bucket: BUCKET,
      Key: ledgerObjectKey(tenant, rekey!.Body.entries[0]!['version'] as number),
      Body: { format: 'keyledger-destruction-ledger', version: 1, entries: [expect.objectContaining({ kind: 'key', tenant, kid: first.activeTmkKid, keyType: 'tenant-master-key', cause: 'rekey' })] },
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
    });
    expect(rekey!.Key).toMatch(new RegExp(`^destructions/${tenant}/0{11}\\d\\.json$`));
    expect(shred!.Body.entries.at(-1)).toEqual(expect.objectContaining({ kind: 'tenant', tenant }));
    expect(shred!.Body.entries.filter((entry) => entry['kind'] === 'key').length).toBeGreaterThan(1);
    // Ids only: no key material, no wrapped keys.
    const fields = new Set([rekey!, shred!].flatMap((put) => put.Body.entries.flatMap((found) => Object.keys(found))));
    expect([...fields].sort()).toEqual(['cause', 'destroyedAt', 'keyType', 'kid', 'kind', 'tenant', 'version']);
  });

  it('a failed write reports its record, so Lambda retries from there; the commits before it are recorded', async () => {
    const { service } = fixture.harness();
    const tenant = fixture.newTenant();
    await service.ensureProvisioned(tenant);
    await service.rekey(tenant);
    await service.rekey(tenant);
    s3.on(PutObjectCommand).resolvesOnce({ VersionId: 'v1' }).rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    const batch = await streamBatch(tenant);
    const handler = createLedgerWriterLambda({ KEYLEDGER_DESTRUCTION_LEDGER_BUCKET: BUCKET }, new S3Client({ region: 'eu-west-1' }));

    const answer = await handler(batch);

    // Records 100 (provision) and 101 (first rekey) are done; 102, the second rekey, failed.
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });
});

describe('reading the ledger from S3', () => {
  const entry = (tenant: string, kid: string, version: number) => ({ kind: 'key', tenant, kid, keyType: 'tenant-master-key', cause: 'rekey', destroyedAt: '2026-12-02T00:00:00.000Z', version });
  const object = (...entries: unknown[]) => JSON.stringify({ format: 'keyledger-destruction-ledger', version: 1, entries });

  it('reads every version of every object, page by page: an overwrite cannot take back what a locked version holds', async () => {
    const a1 = ledgerObjectKey('acme', 3);
    const b1 = ledgerObjectKey('beta', 7);
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined })
      .resolves({ IsTruncated: true, NextKeyMarker: a1, NextVersionIdMarker: 'va1-old', Versions: [{ Key: a1, VersionId: 'va1-new' }, { Key: a1, VersionId: 'va1-old' }], DeleteMarkers: [{ Key: a1, VersionId: 'dm' }] });
    s3.on(ListObjectVersionsCommand, { KeyMarker: a1 }).resolves({ IsTruncated: false, Versions: [{ Key: b1, VersionId: 'vb1' }] });
    // The newest version of acme's object was overwritten to drop k1; the locked older one still names it.
    s3.on(GetObjectCommand, { Key: a1, VersionId: 'va1-new' }).callsFake(() => ({ Body: body(object(entry('acme', 'k2', 3))) }));
    s3.on(GetObjectCommand, { Key: a1, VersionId: 'va1-old' }).callsFake(() => ({ Body: body(object(entry('acme', 'k1', 3), entry('acme', 'k2', 3))) }));
    s3.on(GetObjectCommand, { Key: b1, VersionId: 'vb1' }).callsFake(() => ({ Body: body(object(entry('beta', 'k9', 7))) }));
    const ledger = new S3DestructionLedger(new S3Client({ region: 'eu-west-1' }), BUCKET);

    const first = await ledger.readPage();
    expect(first).toEqual({ entries: [entry('acme', 'k2', 3), entry('acme', 'k1', 3)], next: { keyMarker: a1, versionIdMarker: 'va1-old' } });
    expect((await ledger.read()).map((found) => (found.kind === 'key' ? found.kid : found.kind))).toEqual(['k2', 'k1', 'k9']);

    expect(s3.commandCalls(ListObjectVersionsCommand).slice(0, 2).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Prefix: 'destructions/', MaxKeys: PAGE_VERSIONS, KeyMarker: undefined, VersionIdMarker: undefined },
      { Bucket: BUCKET, Prefix: 'destructions/', MaxKeys: PAGE_VERSIONS, KeyMarker: undefined, VersionIdMarker: undefined },
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand)[2]!.args[0].input).toEqual({ Bucket: BUCKET, Prefix: 'destructions/', MaxKeys: PAGE_VERSIONS, KeyMarker: a1, VersionIdMarker: 'va1-old' });
    // The first page read both versions of acme's object, never the delete marker.
    expect(s3.commandCalls(GetObjectCommand).slice(0, 2).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Key: a1, VersionId: 'va1-new' },
      { Bucket: BUCKET, Key: a1, VersionId: 'va1-old' },
    ]);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.VersionId)).not.toContain('dm');
  });

  it('an object version that is not a ledger object is skipped and reported: locked, it could never be repaired, and must not stop every restore', async () => {
    const bad = ledgerObjectKey('acme', 4);
    const good = ledgerObjectKey('acme', 5);
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [{ Key: bad, VersionId: 'v1' }, { Key: bad, VersionId: 'v2' }, { Key: good, VersionId: 'v3' }] });
    s3.on(GetObjectCommand, { VersionId: 'v1' }).callsFake(() => ({ Body: body(object({ kind: 'key', tenant: 'acme' })) }));
    s3.on(GetObjectCommand, { VersionId: 'v2' }).callsFake(() => ({ Body: body('{"entries":') }));
    s3.on(GetObjectCommand, { VersionId: 'v3' }).callsFake(() => ({ Body: body(object(entry('acme', 'k5', 5))) }));
    const ledger = new S3DestructionLedger(new S3Client({ region: 'eu-west-1' }), BUCKET);
    expect(await ledger.readPage()).toEqual({ entries: [entry('acme', 'k5', 5)], skipped: [`${bad}@v1`, `${bad}@v2`] });
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: true, Versions: [] });
    await expect(ledger.readPage()).rejects.toThrow('truncated listing of the destruction ledger without a next marker');
  });
});

describe('rebuilding the ledger from the event table (keyledger backup rebuild-ledger)', () => {
  it('writes every destroying commit of the table, page by page, skipping activity streams, and only those since a time when asked', async () => {
    const { service } = fixture.harness();
    const tenant = fixture.newTenant();
    const first = await service.ensureProvisioned(tenant);
    const beforeRekey = new Date().toISOString();
    await service.rekey(tenant);
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
    const rebuild = createLedgerRebuildLambda({ KEYLEDGER_DESTRUCTION_LEDGER_BUCKET: BUCKET, KEYLEDGER_EVENTS_TABLE: fixture.dynamo.tables.events }, { s3: new S3Client({ region: 'eu-west-1' }), dynamodb: fixture.dynamo.client });

    let cursor: Awaited<ReturnType<typeof rebuild>>['next'] = null;
    do cursor = (await rebuild({ cursor })).next;
    while (cursor);

    const ours = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input).filter((input) => input.Key!.startsWith(`destructions/${tenant}/`));
    // Provisioning destroyed nothing: one object, the rekey's (version 2), with the TMK it destroyed.
    expect(ours.map(({ Body: _body, ...rest }) => rest)).toEqual([{ Bucket: BUCKET, Key: ledgerObjectKey(tenant, 2), ContentType: 'application/json', ChecksumAlgorithm: 'SHA256' }]);
    expect(JSON.parse(ours[0]!.Body as string)).toEqual({
      format: 'keyledger-destruction-ledger',
      version: 1,
      entries: [expect.objectContaining({ kind: 'key', tenant, kid: first.activeTmkKid, keyType: 'tenant-master-key', cause: 'rekey', version: 2 })],
    });
    s3.resetHistory();
    const later = await rebuild({ since: new Date(Date.now() + 60_000).toISOString() });
    expect(later.recorded).toBe(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    // Since just before the rekey: its commit again (scanning from the start of the table).
    let since: Awaited<ReturnType<typeof rebuild>>['next'] = null;
    let recorded = 0;
    do {
      const page = await rebuild({ cursor: since, since: beforeRekey });
      recorded += page.recorded;
      since = page.next;
    } while (since);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toContain(ledgerObjectKey(tenant, 2));
    expect(recorded).toBeGreaterThanOrEqual(1);
  });

  it('the stream writer ignores what is not a new tenant commit', async () => {
    const handler = createLedgerWriterLambda({ KEYLEDGER_DESTRUCTION_LEDGER_BUCKET: BUCKET }, new S3Client({ region: 'eu-west-1' }));
    const { service } = fixture.harness();
    const tenant = fixture.newTenant();
    await service.ensureProvisioned(tenant);
    await service.rekey(tenant);
    const batch = await streamBatch(tenant);
    const rekey = batch.Records[1]!;
    const activity = { ...rekey, dynamodb: { ...rekey.dynamodb, NewImage: { ...rekey.dynamodb!.NewImage, [EVENTS_ATTR.streamId]: { S: `activity/${tenant}/x` } } } };
    const modified = { ...rekey, eventName: 'MODIFY' };
    expect(await handler({ Records: [activity, modified, { eventName: 'REMOVE', dynamodb: { SequenceNumber: '9', OldImage: rekey.dynamodb!.NewImage } }] } as unknown as DynamoDBStreamEvent)).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
