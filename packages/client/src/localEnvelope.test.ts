import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionContext } from './apiTypes';
import { encodeEncryptionContext } from './context';
import { KeyledgerEnvelopeError } from './errors';
import { LocalEnvelopeCrypto, type DataKeySource } from './localEnvelope';

/** A stand-in for keyledger's data-keys and decrypt: wraps data keys under one AES key, binding namespace and context. */
function fakeKeyledger() {
  const root = randomBytes(32);
  const handed: Buffer[] = [];
  const aad = (namespace: string, context: EncryptionContext) => Buffer.concat([Buffer.from(namespace), encodeEncryptionContext(context)]);
  const source: DataKeySource = {
    async generateDataKey(namespace, context) {
      const key = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', root, iv).setAAD(aad(namespace, context));
      const wrapped = Buffer.concat([Buffer.from('KL\u0002', 'latin1'), iv, cipher.update(key), cipher.final(), cipher.getAuthTag()]);
      return { plaintext_key: key.toString('base64'), ciphertext_key: wrapped.toString('base64'), kid: 'k1' };
    },
    async unwrapDataKey(namespace, ciphertextKey, context) {
      const wrapped = Buffer.from(ciphertextKey, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', root, wrapped.subarray(3, 15)).setAAD(aad(namespace, context));
      decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
      const key = Buffer.concat([decipher.update(wrapped.subarray(15, wrapped.length - 16)), decipher.final()]);
      return key.toString('base64');
    },
  };
  return { source, handed };
}

describe('local envelope encryption', () => {
  const message = (text: string) => new Uint8Array(Buffer.from(text));

  it('round-trips under one data key fetched once, and unwraps it once for decryption (in this client and in another)', async () => {
    const { source } = fakeKeyledger();
    const crypto = new LocalEnvelopeCrypto(source);
    const envelopes = await Promise.all(Array.from({ length: 50 }, (_, i) => crypto.encrypt('ns', message(`m${i}`), { tenant_record: 'r', a: 'b' })));
    const opened = await Promise.all(envelopes.map((envelope) => crypto.decrypt('ns', envelope, { a: 'b', tenant_record: 'r' })));
    expect(opened.map((bytes) => Buffer.from(bytes).toString())).toEqual(envelopes.map((_, i) => `m${i}`));
    expect(crypto.stats()).toEqual({ dataKeysGenerated: 1, dataKeysUnwrapped: 1, encryptionKeysCached: 1, decryptionKeysCached: 1 });
    expect(Buffer.from(envelopes[0]!).subarray(0, 3).toString('latin1')).toBe('KC\u0001');
    const reader = new LocalEnvelopeCrypto(source);
    const read = await Promise.all(envelopes.map((envelope) => reader.decrypt('ns', envelope, { tenant_record: 'r', a: 'b' })));
    expect(read.map((bytes) => Buffer.from(bytes).toString())).toEqual(envelopes.map((_, i) => `m${i}`));
    expect(reader.stats()).toEqual({ dataKeysGenerated: 0, dataKeysUnwrapped: 1, encryptionKeysCached: 0, decryptionKeysCached: 1 });
  });

  it('refuses a context value that is not a string before any call, and tells contexts apart by their values\' types', async () => {
    const { source } = fakeKeyledger();
    const crypto = new LocalEnvelopeCrypto(source);
    await expect(crypto.encrypt('ns', message('x'), { a: 1 } as unknown as Record<string, string>)).rejects.toThrow(TypeError);
    expect(crypto.stats().dataKeysGenerated).toBe(0);
    const envelope = await crypto.encrypt('ns', message('x'), { a: '1' });
    await expect(crypto.decrypt('ns', envelope, { a: 1 } as unknown as Record<string, string>)).rejects.toThrow(TypeError);
  });

  it('fetches a new data key past maxMessages, maxBytes or maxAgeMs, and zeroes the one it retires', async () => {
    let now = 0;
    const crypto = new LocalEnvelopeCrypto(fakeKeyledger().source, { maxMessages: 2, maxBytes: 10, maxAgeMs: 1_000 }, () => now);
    await crypto.encrypt('ns', message('a'));
    await crypto.encrypt('ns', message('b'));
    expect(crypto.stats().dataKeysGenerated).toBe(1);
    await crypto.encrypt('ns', message('c')); // third message
    expect(crypto.stats().dataKeysGenerated).toBe(2);
    await crypto.encrypt('ns', message('0123456789')); // 1 + 10 bytes > 10
    expect(crypto.stats().dataKeysGenerated).toBe(3);
    now += 1_000;
    await crypto.encrypt('ns', message('d'));
    expect(crypto.stats().dataKeysGenerated).toBe(4);
    await expect(crypto.encrypt('ns', message('01234567890'))).rejects.toThrow(RangeError);
  });

  it('keeps one data key per encryption context, and fails to open under another context or namespace', async () => {
    const crypto = new LocalEnvelopeCrypto(fakeKeyledger().source);
    const envelope = await crypto.encrypt('ns', message('x'), { a: '1' });
    await crypto.encrypt('ns', message('y'), { a: '2' });
    expect(crypto.stats().dataKeysGenerated).toBe(2);
    await expect(crypto.decrypt('ns', envelope, { a: '2' })).rejects.toThrow();
    await expect(crypto.decrypt('other', envelope, { a: '1' })).rejects.toThrow();
    const tampered = Buffer.from(envelope);
    tampered[tampered.length - 20]! ^= 1;
    await crypto.decrypt('ns', envelope, { a: '1' }); // the data key is cached now: the local check refuses a changed byte
    await expect(crypto.decrypt('ns', tampered, { a: '1' })).rejects.toThrow(KeyledgerEnvelopeError);
  });

  it('zeroes cached keys on clear()', async () => {
    const keys: Buffer[] = [];
    const crypto = new LocalEnvelopeCrypto(fakeKeyledger().source);
    await crypto.encrypt('ns', message('x'));
    // Reach the cached entry through the cache's own map (white box: the bytes must really be zero).
    const entries = (crypto as unknown as { encryptionKeys: { entries: Map<string, { key: Buffer }> } }).encryptionKeys.entries;
    keys.push(...[...entries.values()].map((entry) => entry.key));
    crypto.clear();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.equals(Buffer.alloc(32))).toBe(true);
    expect(crypto.stats().encryptionKeysCached).toBe(0);
  });

  it('refuses bounds past the service\'s own', () => {
    expect(() => new LocalEnvelopeCrypto(fakeKeyledger().source, { maxAgeMs: 10 * 60_000 })).toThrow(/at most 300000/);
    expect(() => new LocalEnvelopeCrypto(fakeKeyledger().source, { maxMessages: 0 })).toThrow(/≥ 1/);
  });
});
