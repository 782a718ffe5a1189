import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  AES_256_KEY_BYTES,
  encodeEncryptionContext,
  GCM_IV_BYTES,
  GCM_TAG_BYTES,
  RandomIvSource,
} from '@keyledger/crypto';
import { CONTEXT_KEYS as C } from '@keyledger/domain';
import { MalformedCiphertextError, UndecryptableError } from '../errors';

/**
 * keyledger envelope (docs/data-plane.md), formats 1 and 2, the same layout:
 *
 *   magic "KL" (2) | format version (1) | kid length L (1) | namespace key id (L, ASCII)
 *   | wrapped data key (60: IV 12 | encrypted DEK 32 | tag 16) | IV (12) | body (n) | tag (16)
 *
 * Everything before the body IV is the header. The data key is AES-256-GCM under the namespace
 * key with AAD = encode(tenant, namespace, kid, key type). The body is AES-256-GCM under the
 * data key with AAD = prefix | encode(binding) | encode(caller context), where the binding names
 * the tenant and namespace (and, for secrets, the secret's name and version) and the prefix is:
 * - format 2 (written now): "KL" 0x02. The key id and the wrapped data key are bound through the
 *   data key instead (its wrap binds the kid; the body only opens under that data key), so the
 *   data key can move under another namespace key without touching the body: a rewrap.
 * - format 1 (read only): the whole header; moving it means decrypting and encrypting again.
 */
export const ENVELOPE_MAGIC = Buffer.from('KL', 'latin1');
/** The format written. */
export const ENVELOPE_FORMAT_VERSION = 2;
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];
const V2_BODY_AAD_PREFIX = Buffer.from([0x4b, 0x4c, 0x02]);
export const WRAPPED_DATA_KEY_BYTES = GCM_IV_BYTES + AES_256_KEY_BYTES + GCM_TAG_BYTES;
export const MAX_KID_BYTES = 64;
const KID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const FIXED_HEADER_BYTES = ENVELOPE_MAGIC.length + 2;
/** The most an envelope adds to its body: a 64-character key id (156 bytes). */
export const MAX_ENVELOPE_OVERHEAD_BYTES = FIXED_HEADER_BYTES + MAX_KID_BYTES + WRAPPED_DATA_KEY_BYTES + GCM_IV_BYTES + GCM_TAG_BYTES;

export interface ParsedEnvelope {
  formatVersion: number;
  kid: string;
  wrappedDataKey: Buffer;
  /** The header bytes, part of the body's AAD. */
  header: Buffer;
  iv: Buffer;
  body: Buffer;
  tag: Buffer;
}

export function encodeHeader(kid: string, wrappedDataKey: Uint8Array, formatVersion = ENVELOPE_FORMAT_VERSION): Buffer {
  if (kid.length === 0 || kid.length > MAX_KID_BYTES || !KID_PATTERN.test(kid)) {
    throw new MalformedCiphertextError(`Key id ${JSON.stringify(kid)} cannot go into an envelope.`);
  }
  if (wrappedDataKey.length !== WRAPPED_DATA_KEY_BYTES) throw new MalformedCiphertextError('A wrapped data key is 60 bytes.');
  const header = Buffer.allocUnsafe(FIXED_HEADER_BYTES + kid.length + WRAPPED_DATA_KEY_BYTES);
  ENVELOPE_MAGIC.copy(header, 0);
  header[2] = formatVersion;
  header[3] = kid.length;
  header.write(kid, FIXED_HEADER_BYTES, 'latin1');
  header.set(wrappedDataKey, FIXED_HEADER_BYTES + kid.length);
  return header;
}

/** Splits an envelope into its parts; says precisely what is wrong with bytes that are not one. */
export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.length < FIXED_HEADER_BYTES || !data.subarray(0, 2).equals(ENVELOPE_MAGIC)) {
    throw new MalformedCiphertextError('The ciphertext is not a keyledger envelope (it does not start with "KL").');
  }
  const formatVersion = data[2]!;
  if (!READABLE_FORMAT_VERSIONS.includes(formatVersion)) {
    throw new MalformedCiphertextError(
      `The ciphertext has envelope format version ${formatVersion}; this service reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')}.`,
    );
  }
  const kidLength = data[3]!;
  const headerLength = FIXED_HEADER_BYTES + kidLength + WRAPPED_DATA_KEY_BYTES;
  if (kidLength === 0 || kidLength > MAX_KID_BYTES) {
    throw new MalformedCiphertextError(`The ciphertext's key id length ${kidLength} is out of range (1-${MAX_KID_BYTES}).`);
  }
  if (data.length < headerLength + GCM_IV_BYTES + GCM_TAG_BYTES) {
    throw new MalformedCiphertextError('The ciphertext is truncated: it is shorter than its header, IV and tag.');
  }
  const kid = data.toString('latin1', FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + kidLength);
  if (!KID_PATTERN.test(kid)) throw new MalformedCiphertextError('The ciphertext\'s key id holds characters a key id cannot have.');
  return {
    formatVersion,
    kid,
    wrappedDataKey: data.subarray(FIXED_HEADER_BYTES + kidLength, headerLength),
    header: data.subarray(0, headerLength),
    iv: data.subarray(headerLength, headerLength + GCM_IV_BYTES),
    body: data.subarray(headerLength + GCM_IV_BYTES, data.length - GCM_TAG_BYTES),
    tag: data.subarray(data.length - GCM_TAG_BYTES),
  };
}

/** What a data key is bound to when the namespace key wraps it. */
export interface DataKeyBinding {
  tenant: string;
  namespace: string;
  kid: string;
}

export function dataKeyAad({ tenant, namespace, kid }: DataKeyBinding): Buffer {
  return encodeEncryptionContext({
    [C.tenant]: tenant,
    [C.namespace]: namespace,
    [C.kid]: kid,
    [C.keyType]: 'data-key',
  });
}

export const EMPTY_CONTEXT_BYTES = encodeEncryptionContext({});

const ivs = new RandomIvSource();

/** What the body's AAD starts with: the whole header in format 1, the format's own prefix in format 2. */
function bodyAadPrefix(formatVersion: number, header: Buffer): Buffer {
  return formatVersion === 1 ? header : V2_BODY_AAD_PREFIX;
}

/**
 * Seals a body under a data key; returns the whole envelope (header, IV, body, tag), in the
 * format the header names. The AAD is the format's prefix, then each of `aad` in order: the
 * encoded binding (tenant, namespace, and extra entries such as a secret's name and version),
 * then the encoded caller context. Each encoding is self-delimiting, so the concatenation is
 * unambiguous.
 */
export function sealEnvelope(dataKey: Uint8Array, header: Buffer, aad: readonly Buffer[], plaintext: Uint8Array): Buffer {
  const iv = ivs.next();
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(bodyAadPrefix(header[2]!, header));
  for (const part of aad) cipher.setAAD(part);
  const bodyOffset = header.length + GCM_IV_BYTES;
  const envelope = Buffer.allocUnsafe(bodyOffset + plaintext.length + GCM_TAG_BYTES);
  header.copy(envelope, 0);
  iv.copy(envelope, header.length);
  cipher.update(plaintext).copy(envelope, bodyOffset);
  cipher.final();
  cipher.getAuthTag().copy(envelope, bodyOffset + plaintext.length);
  return envelope;
}

/** Opens a parsed envelope's body; any authentication failure is one UndecryptableError. */
export function openEnvelope(dataKey: Uint8Array, envelope: ParsedEnvelope, aad: readonly Buffer[]): Buffer {
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, envelope.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(bodyAadPrefix(envelope.formatVersion, envelope.header));
    for (const part of aad) decipher.setAAD(part);
    decipher.setAuthTag(envelope.tag);
    plaintext = decipher.update(envelope.body);
    decipher.final();
    return plaintext;
  } catch {
    // Unauthenticated output is never returned, and not left in memory either.
    plaintext?.fill(0);
    throw new UndecryptableError();
  }
}

/**
 * A format-2 envelope with its data key under another namespace key: the new header, then the
 * same IV, body and tag (they do not depend on the header in this format).
 */
export function replaceHeader(envelope: ParsedEnvelope, header: Buffer): Buffer {
  if (envelope.formatVersion !== 2 || header[2] !== 2) throw new Error('Only a format 2 envelope keeps its body when its data key moves.');
  return Buffer.concat([header, envelope.iv, envelope.body, envelope.tag]);
}
