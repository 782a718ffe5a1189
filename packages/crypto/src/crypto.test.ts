import { randomBytes } from 'node:crypto';
import { open, seal } from './aesGcm';
import { encodeEncryptionContext } from './encryptionContext';
import { DecryptionError } from './errors';
import { generateAes256Key, keyFingerprint, zeroize } from './keys';

describe('seal/open', () => {
  const key = generateAes256Key();
  const aad = Buffer.from('tenant=acme');

  it('round-trips and uses a fresh 96-bit IV each time', () => {
    const plaintext = Buffer.from('hello');
    const a = seal(key, plaintext, aad);
    const b = seal(key, plaintext, aad);
    expect(a.subarray(0, 12)).not.toEqual(b.subarray(0, 12));
    expect(a).toHaveLength(12 + plaintext.length + 16);
    expect(open(key, a, aad)).toEqual(plaintext);
  });

  it('refuses other AAD, another key, a flipped bit and a truncated value', () => {
    const sealed = seal(key, Buffer.from('hello'), aad);
    expect(() => open(key, sealed, Buffer.from('tenant=other'))).toThrow(DecryptionError);
    expect(() => open(generateAes256Key(), sealed, aad)).toThrow(DecryptionError);
    const flipped = Buffer.from(sealed);
    flipped[14] = flipped[14]! ^ 1;
    expect(() => open(key, flipped, aad)).toThrow(DecryptionError);
    expect(() => open(key, sealed.subarray(0, 20), aad)).toThrow(DecryptionError);
  });

  it('refuses keys that are not AES-256', () => {
    expect(() => seal(randomBytes(16), Buffer.from('x'), aad)).toThrow('seal needs an AES-256 key.');
  });
});

describe('encodeEncryptionContext', () => {
  it('ignores insertion order', () => {
    expect(encodeEncryptionContext({ a: '1', b: '2' })).toEqual(encodeEncryptionContext({ b: '2', a: '1' }));
  });

  it('never encodes two different contexts alike', () => {
    expect(encodeEncryptionContext({ ab: 'c' })).not.toEqual(encodeEncryptionContext({ a: 'bc' }));
    expect(encodeEncryptionContext({})).not.toEqual(encodeEncryptionContext({ '': '' }));
  });
});

describe('keyFingerprint and zeroize', () => {
  it('fingerprints deterministically without echoing the key', () => {
    const key = generateAes256Key();
    const fingerprint = keyFingerprint(key);
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(keyFingerprint(Buffer.from(key))).toBe(fingerprint);
    expect(key.toString('hex')).not.toContain(fingerprint);
    expect(keyFingerprint(generateAes256Key())).not.toBe(fingerprint);
  });

  it('zeroes buffers', () => {
    const key = generateAes256Key();
    zeroize(key, undefined);
    expect(key.every((byte) => byte === 0)).toBe(true);
  });
});
