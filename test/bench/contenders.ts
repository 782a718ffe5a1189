import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { RandomIvSource } from '@keyledger/crypto';
import { createDataPlaneStores, CryptoDataPlane } from '@keyledger/data-plane';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { DynamoDbKeyCatalog } from '@keyledger/key-catalog';
import { createTenantRepository, KeyHierarchyService } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { SoftwareRootKeyStore } from '@keyledger/root-key-store';

/** One way to encrypt and decrypt a message, measured the same way as the others. */
export interface Contender {
  encrypt(plaintext: Buffer): Buffer | Promise<Buffer>;
  decrypt(ciphertext: Buffer): Buffer | Promise<Buffer>;
}

export const BENCH_CONTEXT = { purpose: 'bench' };

/**
 * (a) node:crypto AES-256-GCM and nothing else: a fresh 96-bit IV, the cipher, IV | ciphertext | tag.
 * The IVs come from the same pooled CSPRNG source keyledger uses (randomBytes(12) per call would
 * cost more than the cipher itself and flatter every other contender).
 */
export function rawAesGcm(): Contender {
  const key = randomBytes(32);
  const ivs = new RandomIvSource();
  return {
    encrypt(plaintext) {
      const iv = ivs.next();
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    decrypt(ciphertext) {
      const decipher = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, 12));
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
      return Buffer.concat([decipher.update(ciphertext.subarray(12, ciphertext.length - 16)), decipher.final()]);
    },
  };
}

/**
 * (b) keyledger's data plane at the use-case level: CryptoDataPlane.encrypt/decrypt for one
 * tenant and namespace, on the real key hierarchy (dynalite over HTTP, the software root key
 * store). After the first call everything it needs is cached, as in a warm Lambda.
 */
export async function keyledgerInProcess(): Promise<Contender & { dataPlane: CryptoDataPlane; keyHierarchy: KeyHierarchyService; tenant: string; stop(): Promise<void> }> {
  const dynamo: LocalDynamoDb = await startLocalDynamoDb();
  const dir = await mkdtemp(join(tmpdir(), 'keyledger-bench-'));
  const eventStore = new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots, snapshotHistoryTable: dynamo.tables.snapshotHistory });
  const stores = createDataPlaneStores(dynamo.client, dynamo.tables, { usageFlushIntervalMs: 60_000 });
  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore),
    keyMaterial: new DynamoDbKeyMaterialStore({ client: dynamo.client, tableName: dynamo.tables.keyMaterial }),
    catalog: new DynamoDbKeyCatalog({ client: dynamo.client, tableName: dynamo.tables.keyCatalog }),
    dependents: stores.dependents,
    rootKeyStore: await SoftwareRootKeyStore.openOrCreate(join(dir, 'root-key.json')),
    namespaces: ['default'],
  });
  // Long enough that no refresh of the hierarchy falls inside a measurement; the limits on data key use stay the defaults.
  const dataPlane = new CryptoDataPlane({ keySource: keyHierarchy, usage: stores.usage, limits: { keyStateTtlMs: 3_600_000 } });
  const request = { tenant: 'bench', namespace: 'default', encryptionContext: BENCH_CONTEXT };
  await dataPlane.encrypt({ ...request, plaintext: Buffer.alloc(1) });
  return {
    dataPlane,
    keyHierarchy,
    tenant: request.tenant,
    async encrypt(plaintext) {
      return (await dataPlane.encrypt({ ...request, plaintext })).ciphertext;
    },
    decrypt(ciphertext) {
      return dataPlane.decrypt({ ...request, ciphertext });
    },
    async stop() {
      await dynamo.stop();
    },
  };
}

/** (c) The AWS Encryption SDK for JavaScript: a raw AES keyring and the committing suite without signatures. */
export function encryptionSdk(): Contender {
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: 'bench-key',
    keyNamespace: 'bench',
    unencryptedMasterKey: new Uint8Array(randomBytes(32)),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  return {
    async encrypt(plaintext) {
      const { result } = await encrypt(keyring, plaintext, {
        encryptionContext: BENCH_CONTEXT,
        suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
      });
      return result;
    },
    async decrypt(ciphertext) {
      return (await decrypt(keyring, ciphertext)).plaintext;
    },
  };
}
