import { encodeEncryptionContext as serviceEncoding } from '@keyledger/crypto';
import { encodeEncryptionContext } from './context';
import { encodeClientHeader, parseClientEnvelope } from './envelope';
import { KeyledgerEnvelopeError } from './errors';

describe('client envelope', () => {
  const wrapped = Buffer.from('KL\u0002 a service envelope', 'latin1');

  it('splits into header (magic "KC", version 1, length, wrapped key), IV, ciphertext and tag', () => {
    const header = encodeClientHeader(wrapped);
    expect([...header.subarray(0, 5)]).toEqual([0x4b, 0x43, 0x01, 0x00, wrapped.length]);
    const bytes = Buffer.concat([header, Buffer.alloc(12, 1), Buffer.from('body'), Buffer.alloc(16, 2)]);
    const parsed = parseClientEnvelope(bytes);
    expect(parsed.header).toEqual(header);
    expect(parsed.wrappedDataKey).toEqual(wrapped);
    expect(parsed.iv).toEqual(Buffer.alloc(12, 1));
    expect(parsed.ciphertext.toString()).toBe('body');
    expect(parsed.tag).toEqual(Buffer.alloc(16, 2));
  });

  it('refuses a service envelope, other bytes, another version and a truncated envelope, saying which', () => {
    expect(() => parseClientEnvelope(Buffer.from('KL\u0002xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'latin1'))).toThrow(/service envelope/);
    expect(() => parseClientEnvelope(Buffer.from('hello world'))).toThrow(/not a keyledger client envelope/);
    const header = encodeClientHeader(wrapped);
    const other = Buffer.from(header);
    other[2] = 2;
    expect(() => parseClientEnvelope(Buffer.concat([other, Buffer.alloc(28)]))).toThrow(/version 2/);
    expect(() => parseClientEnvelope(Buffer.concat([header, Buffer.alloc(27)]))).toThrow(KeyledgerEnvelopeError);
  });

  it("encodes the encryption context as the service does (sorted, length-prefixed), refusing lone surrogates", () => {
    const context = { b: '2', a: 'é', '': 'empty key', z: '' };
    expect(encodeEncryptionContext(context)).toEqual(serviceEncoding(context));
    expect(encodeEncryptionContext({})).toEqual(Buffer.from([0, 0]));
    expect(() => encodeEncryptionContext({ a: '\ud800' })).toThrow(/lone surrogates/);
    expect(encodeEncryptionContext({ a: '\ud83d\ude00' })).toEqual(serviceEncoding({ a: '\ud83d\ude00' }));
  });
});
