import { parseRsaPublicKey, rsaAesKeyWrap } from '@keyledger/crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootKeyStoreError } from '@keyledger/domain';
import { startLocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { integrationEventsFromCommit } from '@keyledger/outbox';
import { DelegatingRootKeyStore, SoftwareRootKeyStore, type RootKeyStore, type WrapKeyInput } from '@keyledger/root-key-store';
import { ActivityRecorder } from './activityRecorder';
import { AuditedRootKeyStore } from './auditedRootKeyStore';

let prefixCounter = 0;

interface Fresh {
  store: DynamoDbEventStore;
}

/** Each test gets its own tables, so the commit log holds only its commits. */
async function withFreshStore(run: (fresh: Fresh) => Promise<void>): Promise<void> {
  const local = await startLocalDynamoDb({ tablePrefix: `activity-${(prefixCounter += 1)}`, port: 0 });
  try {
    await run({
      store: new DynamoDbEventStore({ client: local.client, eventsTable: local.tables.events, snapshotsTable: local.tables.snapshots, snapshotHistoryTable: local.tables.snapshotHistory }),
    });
  } finally {
    await local.stop();
  }
}

describe('ActivityRecorder and AuditedRootKeyStore', () => {
  it('records one success per root key operation inside a request, and a failure with its reason only', async () => {
    await withFreshStore(async ({ store }) => {
      const activity = new ActivityRecorder({ eventStore: store });
      const software = await SoftwareRootKeyStore.openOrCreate(join(mkdtempSync(join(tmpdir(), 'kl-outbox-')), 'root.json'));
      const { kid: rootKid } = await software.describeRootKey();
      let failWrap = false;
      const faulty: RootKeyStore = new (class extends DelegatingRootKeyStore {
        override async wrapKey(input: WrapKeyInput) {
          if (failWrap) throw new RootKeyStoreError('unavailable', `store down while wrapping ${Buffer.from(input.plaintextKey).toString('hex')}`);
          return software.wrapKey(input);
        }
      })(software);
      const audited = new AuditedRootKeyStore(faulty, activity);
      const key = Buffer.alloc(32, 7);
      const context = { 'keyledger:tenant': 'acme', 'keyledger:kid': 'tmk-1', 'keyledger:key-type': 'tenant-master-key' };

      await activity.withinRequest('req-1', async (request) => {
        const { wrappedKey } = await audited.wrapKey({ rootKid, plaintextKey: key, encryptionContext: context });
        await audited.unwrapKey({ rootKid, wrappedKey, encryptionContext: context });
        failWrap = true;
        await expect(audited.wrapKey({ rootKid, plaintextKey: key, encryptionContext: context })).rejects.toThrow(RootKeyStoreError);
        await activity.record(request.events);
      });
      const commits = await store.readCommitLog({ limit: 10 });
      const events = commits.flatMap(integrationEventsFromCommit);

      expect(commits).toHaveLength(1);
      expect(events.map((event) => [event.detailType, 'operation' in event.detail ? event.detail.operation : null])).toEqual([
        ['kms_key_management_success', 'wrap'],
        ['kms_key_management_success', 'unwrap'],
        ['kms_key_management_failure', 'wrap'],
      ]);
      expect(events[2]!.detail).toEqual({
        event_id: commits[0]!.events[2]!.eventId,
        tenant: 'acme',
        occurred_at: expect.any(String),
        schema_version: 1,
        operation: 'wrap',
        key_store: 'software',
        root_kid: rootKid,
        kid: 'tmk-1',
        duration_ms: expect.any(Number),
        request_id: 'req-1',
        reason: 'unavailable',
      });
      const raw = JSON.stringify(commits);
      expect(raw).not.toContain(key.toString('hex'));
      expect(raw).not.toContain(key.toString('base64'));
    });
  });
});

describe('AuditedRootKeyStore BYOK operations', () => {
  it('records create, create-wrapping-key, import (failed, with its reason; then succeeded), delete-wrapping-key and delete, naming the CPRK as root_kid', async () => {
    await withFreshStore(async ({ store }) => {
      const activity = new ActivityRecorder({ eventStore: store });
      const software = await SoftwareRootKeyStore.openOrCreate(join(mkdtempSync(join(tmpdir(), 'kl-outbox-')), 'root.json'));
      const audited = new AuditedRootKeyStore(software, activity);
      const material = Buffer.alloc(32, 9);
      let cprk = '';
      await activity.withinRequest('req-byok', async (request) => {
        ({ kid: cprk } = await audited.createCustomerKey({ tenant: 'acme' }));
        const wrappingKey = await audited.createWrappingKey({ tenant: 'acme', kid: cprk, oaepHash: 'sha256' });
        const publicKey = parseRsaPublicKey(wrappingKey.publicKeyPem);
        await expect(
          audited.importKeyMaterial({ tenant: 'acme', kid: cprk, wrappingKey, wrappedKey: rsaAesKeyWrap(publicKey, material, 'sha1') }),
        ).rejects.toThrow(/could not be unwrapped/);
        await audited.importKeyMaterial({ tenant: 'acme', kid: cprk, wrappingKey, wrappedKey: rsaAesKeyWrap(publicKey, material, 'sha256') });
        await audited.discardWrappingKeys({ tenant: 'acme', kid: cprk });
        await audited.deleteCustomerKey({ tenant: 'acme', kid: cprk });
        await activity.record(request.events);
      });
      const commits = await store.readCommitLog({ limit: 10 });
      const events = commits.flatMap(integrationEventsFromCommit);
      expect(
        events.map((event) => [
          event.detailType,
          'operation' in event.detail ? event.detail.operation : null,
          'root_kid' in event.detail ? event.detail.root_kid : null,
          'reason' in event.detail ? event.detail.reason : null,
        ]),
      ).toEqual([
        ['kms_key_management_success', 'create', cprk, null],
        ['kms_key_management_success', 'create-wrapping-key', cprk, null],
        ['kms_key_management_failure', 'import', cprk, 'unwrap_failed'],
        ['kms_key_management_success', 'import', cprk, null],
        ['kms_key_management_success', 'delete-wrapping-key', cprk, null],
        ['kms_key_management_success', 'delete', cprk, null],
      ]);
      const raw = JSON.stringify(commits);
      expect(raw).not.toContain(material.toString('hex'));
      expect(raw).not.toContain(material.toString('base64'));
    });
  });
});
