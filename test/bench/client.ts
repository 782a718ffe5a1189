/**
 * The client rows of `npm run bench` (issue 18): @keyledger/client's local envelope encryption
 * against raw AES-256-GCM, the keyledger calls one process makes for 100,000 messages, and the
 * AWS Encryption SDK with the keyledger keyring behind its caching materials manager against the
 * Encryption SDK with its raw AES keyring. All against the real local server.
 */
import { randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  type KeyringNode,
  type NodeMaterialsManager,
} from '@aws-crypto/client-node';
import { KeyledgerClient } from '@keyledger/client';
import { KeyledgerKeyring } from '@keyledger/client/encryption-sdk';
import { BENCH_CONTEXT, encryptionSdk, rawAesGcm, type Contender } from './contenders';
import { median, opsPerSecond } from './measure';

export interface ClientResults {
  raw_encrypt_1k_ops: number;
  raw_decrypt_1k_ops: number;
  encrypt_1k_ops: number;
  decrypt_1k_ops: number;
  /** keyledger API calls for 100,000 local encryptions of 1 KiB in one process... */
  calls_per_100k: number;
  /** ...and for decrypting them there. */
  decrypt_calls_per_100k: number;
  esdk_raw_aes_encrypt_1k_ops: number;
  esdk_raw_aes_decrypt_1k_ops: number;
  esdk_keyledger_cached_encrypt_1k_ops: number;
  esdk_keyledger_cached_decrypt_1k_ops: number;
  /** keyledger API calls the Encryption SDK made (cached) while it was measured. */
  esdk_keyledger_calls: number;
}

const MESSAGES = 100_000;

/** The local envelope encryption of a KeyledgerClient as a contender. */
function clientContender(client: KeyledgerClient): Contender {
  return {
    encrypt: async (plaintext) => Buffer.from(await client.encrypt('default', plaintext, BENCH_CONTEXT)),
    decrypt: async (ciphertext) => Buffer.from(await client.decrypt('default', ciphertext, BENCH_CONTEXT)),
  };
}

/** The Encryption SDK (committing suite, no signatures) over a keyring or a materials manager. */
function esdkContender(materials: KeyringNode | NodeMaterialsManager): Contender {
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  return {
    async encrypt(plaintext) {
      const options = { encryptionContext: BENCH_CONTEXT, suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY, plaintextLength: plaintext.length };
      return (await encrypt(materials, plaintext, options)).result;
    },
    async decrypt(ciphertext) {
      return (await decrypt(materials, ciphertext)).plaintext;
    },
  };
}

/** Medians of interleaved rounds of encrypt and decrypt ops/s for each contender. */
async function measurePairs(contenders: Record<string, Contender>, rounds: number, roundMs: number) {
  const plaintext = randomBytes(1024);
  const samples: Record<string, { encrypt: number[]; decrypt: number[] }> = {};
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, contender] of Object.entries(contenders)) {
      const ciphertext = await contender.encrypt(plaintext);
      if (!Buffer.from(await contender.decrypt(ciphertext)).equals(plaintext)) throw new Error(`${name} does not round-trip`);
      const own = (samples[name] ??= { encrypt: [], decrypt: [] });
      own.encrypt.push(await opsPerSecond(() => contender.encrypt(plaintext), { durationMs: roundMs }));
      own.decrypt.push(await opsPerSecond(() => contender.decrypt(ciphertext), { durationMs: roundMs }));
    }
  }
  const result = (name: string) => ({ encrypt: Math.round(median(samples[name]!.encrypt)), decrypt: Math.round(median(samples[name]!.decrypt)) });
  return Object.fromEntries(Object.keys(contenders).map((name) => [name, result(name)]));
}

/**
 * 100,000 local encryptions of 1 KiB in one process (within one data key's bounds), then their
 * decryptions: the keyledger calls each made. Decryption unwraps through keyledger (it needs the
 * decrypt scope), once per data key.
 */
async function callsPer100k(baseUrl: string, token: string): Promise<{ encrypt: number; decrypt: number }> {
  const client = new KeyledgerClient({ baseUrl, token });
  const plaintext = randomBytes(1024);
  const envelopes: Uint8Array[] = [];
  for (let i = 0; i < MESSAGES; i += 1) envelopes.push(await client.encrypt('default', plaintext, BENCH_CONTEXT));
  const encrypt = client.stats().requests;
  for (const envelope of envelopes) {
    if (!Buffer.from(await client.decrypt('default', envelope, BENCH_CONTEXT)).equals(plaintext)) throw new Error('a client envelope did not round-trip');
  }
  return { encrypt, decrypt: client.stats().requests - encrypt };
}

export async function measureClient(baseUrl: string, token: string, rounds: number, roundMs: number): Promise<ClientResults> {
  const calls = await callsPer100k(baseUrl, token);
  const client = new KeyledgerClient({ baseUrl, token });
  const keyringClient = new KeyledgerClient({ baseUrl, token });
  const cached = new NodeCachingMaterialsManager({
    backingMaterials: new KeyledgerKeyring({ client: keyringClient, namespace: 'default' }),
    cache: getLocalCryptographicMaterialsCache(1_000),
    maxAge: 60_000,
    maxMessagesEncrypted: 2 ** 20,
  });
  const figures = await measurePairs(
    {
      raw: rawAesGcm(),
      client: clientContender(client),
      esdkRaw: encryptionSdk(),
      esdkKeyledger: esdkContender(cached),
    },
    rounds,
    roundMs,
  );
  return {
    raw_encrypt_1k_ops: figures['raw']!.encrypt,
    raw_decrypt_1k_ops: figures['raw']!.decrypt,
    encrypt_1k_ops: figures['client']!.encrypt,
    decrypt_1k_ops: figures['client']!.decrypt,
    calls_per_100k: calls.encrypt,
    decrypt_calls_per_100k: calls.decrypt,
    esdk_raw_aes_encrypt_1k_ops: figures['esdkRaw']!.encrypt,
    esdk_raw_aes_decrypt_1k_ops: figures['esdkRaw']!.decrypt,
    esdk_keyledger_cached_encrypt_1k_ops: figures['esdkKeyledger']!.encrypt,
    esdk_keyledger_cached_decrypt_1k_ops: figures['esdkKeyledger']!.decrypt,
    esdk_keyledger_calls: keyringClient.stats().requests,
  };
}
