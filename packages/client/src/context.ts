import type { EncryptionContext } from './apiTypes';

// With the u flag a surrogate matches only when unpaired.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The canonical bytes of an encryption context, as the service encodes it for its own AAD:
 * uint16 count, then for each entry sorted by key (UTF-16 code unit order) uint16 length + UTF-8
 * key, uint16 length + UTF-8 value (all big-endian). Lone surrogates are refused: they would
 * become U+FFFD, and two different contexts the same bytes.
 */
export function encodeEncryptionContext(context: EncryptionContext = {}): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length > 0xffff) throw new RangeError('An encryption context has at most 65,535 entries.');
  const parts: Buffer[] = [u16(entries.length)];
  for (const [key, value] of entries) {
    for (const text of [key, value]) {
      if (typeof text !== 'string') throw new TypeError('Encryption context values must be strings.');
      if (LONE_SURROGATE.test(text)) throw new TypeError('Encryption context entries must be valid Unicode text (no lone surrogates).');
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > 0xffff) throw new RangeError('An encryption context entry is at most 65,535 bytes.');
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
