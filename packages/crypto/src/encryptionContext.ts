import { CryptoParameterError } from './errors';

/** In a `u` regular expression a valid surrogate pair is one code point: only lone halves match. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether text holds a lone surrogate, which UTF-8 encoding would silently turn into U+FFFD. */
export const hasLoneSurrogate = (text: string): boolean => LONE_SURROGATE.test(text);

export type EncryptionContext = Readonly<Record<string, string>>;

/**
 * Canonical, unambiguous bytes for an encryption context, used as AAD: entries sorted by key,
 * each key and value length-prefixed (uint16, UTF-8), after a count. Two different contexts
 * never encode to the same bytes.
 */
export function encodeEncryptionContext(context: EncryptionContext): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length > 0xffff) throw new CryptoParameterError('Encryption context has too many entries.');
  const parts: Buffer[] = [u16(entries.length)];
  for (const [key, value] of entries) {
    for (const text of [key, value]) {
      // Buffer.from would write U+FFFD for a lone surrogate: two contexts, the same bytes.
      if (hasLoneSurrogate(text)) throw new CryptoParameterError('Encryption context entries must be valid Unicode text.');
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > 0xffff) throw new CryptoParameterError('Encryption context entry is too long.');
      parts.push(u16(bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}
