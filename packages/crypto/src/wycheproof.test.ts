import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aesGcmDecrypt, aesGcmEncrypt } from './aesGcm';
import { unwrapKeyWithPadding, wrapKeyWithPadding } from './keyWrap';

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
  result: 'valid' | 'invalid' | 'acceptable';
}
interface VectorFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: Array<{ tests: Vector[] }>;
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
