import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aesGcmDecrypt, aesGcmEncrypt } from './aesGcm';
import { DecryptionError } from './errors';
import { unwrapKeyWithPadding, wrapKeyWithPadding } from './keyWrap';
import { OAEP_HASHES, parseRsaPrivateKey, rsaOaepDecrypt, type OaepHash } from './rsaAesKeyWrap';

interface Vector {
  tcId: number;
  comment: string;
  flags: string[];
  key: string;
  iv?: string;
  aad?: string;
  msg: string;
  ct: string;
  tag?: string;
  label?: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface VectorFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: Array<{ tests: Vector[]; privateKeyPem?: string; sha?: string; mgfSha?: string }>;
}

const load = (name: string): VectorFile =>
  JSON.parse(readFileSync(join(__dirname, '..', 'test-vectors', 'wycheproof', name), 'utf8')) as VectorFile;
const hex = (text = '') => Buffer.from(text, 'hex');
const label = (vector: Vector) => `tcId ${vector.tcId} ${vector.comment} [${vector.flags.join(',')}]`;

describe('Wycheproof AES-GCM', () => {
  const file = load('aes_gcm_test.json');
  const vectors = file.testGroups.flatMap((group) => group.tests);

  it('reads every vector of the file', () => {
    expect(file.algorithm).toBe('AES-GCM');
    expect(vectors).toHaveLength(file.numberOfTests);
    expect(vectors.some((vector) => vector.result === 'invalid')).toBe(true);
  });

  it.each(vectors.filter((vector) => vector.result === 'valid').map((vector) => [label(vector), vector]))(
    'valid %s: encrypts to the expected ciphertext and tag, and decrypts back',
    (_name, vector) => {
      const input = { key: hex(vector.key), iv: hex(vector.iv), aad: hex(vector.aad) };
      const { ciphertext, tag } = aesGcmEncrypt({ ...input, plaintext: hex(vector.msg) });
      expect(ciphertext.toString('hex')).toBe(vector.ct);
      expect(tag.toString('hex')).toBe(vector.tag);
      expect(aesGcmDecrypt({ ...input, ciphertext, tag }).toString('hex')).toBe(vector.msg);
    },
  );

  it.each(vectors.filter((vector) => vector.result !== 'valid').map((vector) => [label(vector), vector]))(
    'invalid %s: is rejected',
    (_name, vector) => {
      expect(() =>
        aesGcmDecrypt({ key: hex(vector.key), iv: hex(vector.iv), aad: hex(vector.aad), ciphertext: hex(vector.ct), tag: hex(vector.tag) }),
      ).toThrow(/Decryption failed|IV must not be empty/);
    },
  );
});

describe('Wycheproof AES-KWP (RFC 5649)', () => {
  const file = load('aes_kwp_test.json');
  const vectors = file.testGroups.flatMap((group) => group.tests);

  it('reads every vector of the file', () => {
    expect(file.algorithm).toBe('AES-KWP');
    expect(vectors).toHaveLength(file.numberOfTests);
  });

  it.each(vectors.filter((vector) => vector.result === 'valid').map((vector) => [label(vector), vector]))(
    'valid %s: wraps to the expected bytes and unwraps back',
    (_name, vector) => {
      expect(wrapKeyWithPadding(hex(vector.key), hex(vector.msg)).toString('hex')).toBe(vector.ct);
      expect(unwrapKeyWithPadding(hex(vector.key), hex(vector.ct)).toString('hex')).toBe(vector.msg);
    },
  );

  it.each(vectors.filter((vector) => vector.result !== 'valid').map((vector) => [label(vector), vector]))(
    'invalid %s: is rejected',
    (_name, vector) => {
      expect(() => unwrapKeyWithPadding(hex(vector.key), hex(vector.ct))).toThrow(/Key unwrap failed|invalid length/);
    },
  );
});

/** The OAEP profiles keyledger offers (software store: both; SoftHSM2: SHA-1 only), each with its vector file. */
const OAEP_FILES: Record<OaepHash, { file: string; sha: string }> = {
  sha256: { file: 'rsa_oaep_3072_sha256_mgf1sha256_test.json', sha: 'SHA-256' },
  sha1: { file: 'rsa_oaep_2048_sha1_mgf1sha1_test.json', sha: 'SHA-1' },
};

describe.each(OAEP_HASHES.map((hash) => [hash]))('Wycheproof RSA-OAEP %s (MGF1 with the same hash)', (hash) => {
  const file = load(OAEP_FILES[hash].file);
  const cases = file.testGroups.flatMap((group) =>
    group.tests.map((vector) => ({ vector, key: parseRsaPrivateKey(group.privateKeyPem ?? ''), group })),
  );

  it('reads every vector of the file, for this hash', () => {
    expect(file.algorithm).toBe('RSAES-OAEP');
    expect(cases).toHaveLength(file.numberOfTests);
    for (const { group } of cases) expect([group.sha, group.mgfSha]).toEqual([OAEP_FILES[hash].sha, OAEP_FILES[hash].sha]);
    expect(cases.filter(({ vector }) => vector.result === 'invalid').length).toBeGreaterThan(0);
  });

  it.each(cases.filter(({ vector }) => vector.result === 'valid').map((c) => [label(c.vector), c]))(
    'valid %s: decrypts to the message',
    (_name, { vector, key }) => {
      expect(rsaOaepDecrypt(key, hex(vector.ct), hash, hex(vector.label)).toString('hex')).toBe(vector.msg);
    },
  );

  // Every failure is the same error with the same message and no cause: padding failures
  // (Manger's oracle) cannot be told apart from malformed ciphertexts.
  const failures = cases
    .filter(({ vector }) => vector.result === 'invalid')
    .map(({ vector, key }) => {
      try {
        rsaOaepDecrypt(key, hex(vector.ct), hash, hex(vector.label));
        return { tcId: vector.tcId, error: undefined };
      } catch (error) {
        return { tcId: vector.tcId, error: error as Error };
      }
    });

  it.each(failures.map((failure) => [failure.tcId, failure]))('invalid tcId %s: is rejected', (_tcId, { error }) => {
    expect(error).toBeInstanceOf(DecryptionError);
  });

  it('rejects every invalid vector with one indistinguishable error', () => {
    const shapes = new Set(failures.map(({ error }) => JSON.stringify([error?.name, error?.message, (error as { code?: string })?.code, error?.cause === undefined])));
    expect([...shapes]).toEqual([JSON.stringify(['DecryptionError', 'RSA-OAEP decryption failed.', 'decryption_failed', true])]);
  });
});
