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

  it('writes the documented bytes: count, then sorted keys and values, each with its uint16 UTF-8 length (big-endian)', () => {
    expect(encodeEncryptionContext({}).toString('hex')).toBe('0000');
    expect(encodeEncryptionContext({ purpose: 'bench' }).toString('hex')).toBe(`0001 0007 ${Buffer.from('purpose').toString('hex')} 0005 ${Buffer.from('bench').toString('hex')}`.replace(/ /g, ''));
    // UTF-16 code unit order ("Z" < "a" < "é" < "😀"), lengths in UTF-8 bytes.
    const encoded = encodeEncryptionContext({ '😀': '', é: 'ü', a: 'x', Z: '' });
    expect(encoded.toString('hex')).toBe(['0004', '0001', '5a', '0000', '0001', '61', '0001', '78', '0002', 'c3a9', '0002', 'c3bc', '0004', 'f09f9880', '0000'].join(''));
  });

  it('refuses a lone surrogate, a value that is not a string, and an entry over 65,535 bytes', () => {
    expect(() => encodeEncryptionContext({ a: '\ud800' })).toThrow('valid Unicode text');
    expect(() => encodeEncryptionContext({ a: 1 } as unknown as Record<string, string>)).toThrow('must be strings');
    expect(() => encodeEncryptionContext({ a: 'é'.repeat(40_000) })).toThrow('too long');
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
