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
  const keys = Object.keys(context);
  if (keys.length > 0xffff) throw new CryptoParameterError('Encryption context has too many entries.');
  // Sorted by UTF-16 code units, as `<` compares strings.
  if (keys.length > 1) keys.sort();
  // One allocation: the lengths first, then every key and value written in place.
  let size = 2;
  for (const key of keys) size += 4 + checkedLength(key) + checkedLength(context[key]!);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(keys.length, 0);
  let offset = 2;
  for (const key of keys) {
    offset = writeText(out, offset, key);
    offset = writeText(out, offset, context[key]!);
  }
  return out;
}

/** UTF-8 length of an entry, refusing text Buffer.from would change (a lone surrogate becomes U+FFFD: two contexts, the same bytes). */
function checkedLength(text: string): number {
  if (typeof text !== 'string') throw new CryptoParameterError('Encryption context values must be strings.');
  if (hasLoneSurrogate(text)) throw new CryptoParameterError('Encryption context entries must be valid Unicode text.');
  const length = Buffer.byteLength(text, 'utf8');
  if (length > 0xffff) throw new CryptoParameterError('Encryption context entry is too long.');
  return length;
}

function writeText(out: Buffer, offset: number, text: string): number {
  const written = out.write(text, offset + 2, 'utf8');
  out.writeUInt16BE(written, offset);
  return offset + 2 + written;
}
