import { KeyledgerEnvelopeError } from './errors';

/**
 * The client envelope (docs/client.md, "Client envelope format"), version 1:
 *
 *   magic "KC" (2) | version 0x01 (1) | wrapped data key length L (uint16 BE, 2)
 *   | wrapped data key (L: the `ciphertext_key` of data-keys, itself a service envelope)
 *   | IV (12) | ciphertext (n) | tag (16)
 *
 * The header is everything before the IV. The body is AES-256-GCM under the data key with
 * AAD = header | canonical encryption context. The header names no tenant: the wrapped data key
 * binds tenant and namespace on the service's side. The magic differs from the service's "KL",
 * so neither side takes one envelope for the other.
 */
export const CLIENT_ENVELOPE_MAGIC = Buffer.from('KC', 'latin1');
export const CLIENT_ENVELOPE_VERSION = 1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const FIXED_HEADER_BYTES = CLIENT_ENVELOPE_MAGIC.length + 1 + 2;
const SERVICE_MAGIC = Buffer.from('KL', 'latin1');

/** A client envelope split into its parts. */
export interface ParsedClientEnvelope {
  /** magic | version | length | wrapped data key: part of the AAD. */
  header: Buffer;
  wrappedDataKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** The header of an envelope around this wrapped data key. */
export function encodeClientHeader(wrappedDataKey: Uint8Array): Buffer {
  if (wrappedDataKey.length === 0 || wrappedDataKey.length > 0xffff) throw new KeyledgerEnvelopeError('A wrapped data key is 1 to 65,535 bytes.');
  const header = Buffer.allocUnsafe(FIXED_HEADER_BYTES + wrappedDataKey.length);
  CLIENT_ENVELOPE_MAGIC.copy(header, 0);
  header[2] = CLIENT_ENVELOPE_VERSION;
  header.writeUInt16BE(wrappedDataKey.length, 3);
  header.set(wrappedDataKey, FIXED_HEADER_BYTES);
  return header;
}

/** Splits a client envelope; says what is wrong with bytes that are not one. */
export function parseClientEnvelope(bytes: Uint8Array): ParsedClientEnvelope {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.length >= 2 && data.subarray(0, 2).equals(SERVICE_MAGIC)) {
    throw new KeyledgerEnvelopeError('This is a service envelope ("KL"), not a client one: decrypt it with serverDecrypt.');
  }
  if (data.length < FIXED_HEADER_BYTES || !data.subarray(0, 2).equals(CLIENT_ENVELOPE_MAGIC)) {
    throw new KeyledgerEnvelopeError('The ciphertext is not a keyledger client envelope (it does not start with "KC").');
  }
  if (data[2] !== CLIENT_ENVELOPE_VERSION) {
    throw new KeyledgerEnvelopeError(`The client envelope has version ${data[2]}; this client reads version ${CLIENT_ENVELOPE_VERSION}.`);
  }
  const wrappedLength = data.readUInt16BE(3);
  const headerLength = FIXED_HEADER_BYTES + wrappedLength;
  if (wrappedLength === 0 || data.length < headerLength + IV_BYTES + TAG_BYTES) {
    throw new KeyledgerEnvelopeError('The client envelope is truncated.');
  }
  return {
    header: data.subarray(0, headerLength),
    wrappedDataKey: data.subarray(FIXED_HEADER_BYTES, headerLength),
    iv: data.subarray(headerLength, headerLength + IV_BYTES),
    ciphertext: data.subarray(headerLength + IV_BYTES, data.length - TAG_BYTES),
    tag: data.subarray(data.length - TAG_BYTES),
  };
}
