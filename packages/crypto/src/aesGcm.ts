import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoParameterError, DecryptionError } from './errors';
import { equivalentShortIv, NODE_MAX_GCM_IV_BYTES } from './gcmLongIv';

export const AES_256_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

function gcmCipherName(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new CryptoParameterError(`AES-GCM key must be 16, 24 or 32 bytes, got ${key.length}.`);
  }
}

function usableIv(key: Uint8Array, iv: Uint8Array): Uint8Array {
  return iv.length > NODE_MAX_GCM_IV_BYTES ? equivalentShortIv(key, iv) : iv;
}

export interface AesGcmEncryptInput {
  key: Uint8Array;
  iv: Uint8Array;
  plaintext: Uint8Array;
  aad?: Uint8Array;
}

/** The AES-GCM primitive (any AES key size, any non-empty IV, 128-bit tag). */
export function aesGcmEncrypt({ key, iv, plaintext, aad }: AesGcmEncryptInput): { ciphertext: Buffer; tag: Buffer } {
  if (iv.length === 0) throw new CryptoParameterError('AES-GCM IV must not be empty.');
  const cipherName = gcmCipherName(key);
  const cipher = createCipheriv(cipherName, key, usableIv(key, iv), { authTagLength: GCM_TAG_BYTES });
  if (aad) cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

export interface AesGcmDecryptInput {
  key: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
  aad?: Uint8Array;
}

export function aesGcmDecrypt({ key, iv, ciphertext, tag, aad }: AesGcmDecryptInput): Buffer {
  const cipherName = gcmCipherName(key);
  if (iv.length === 0) throw new DecryptionError('AES-GCM IV must not be empty.');
  if (tag.length !== GCM_TAG_BYTES) throw new DecryptionError(`AES-GCM tag must be ${GCM_TAG_BYTES} bytes.`);
  try {
    const decipher = createDecipheriv(cipherName, key, usableIv(key, iv), { authTagLength: GCM_TAG_BYTES });
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw new DecryptionError(undefined, { cause: error });
  }
}

/**
 * keyledger's sealed form: IV (96 bits, random) ‖ ciphertext ‖ tag, under an AES-256 key.
 * Random IVs are safe here because every key using them also bounds its number of uses
 * (namespace keys wrap few DEKs; DEK reuse is capped far below 2^32 in the data plane).
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== AES_256_KEY_BYTES) throw new CryptoParameterError('seal needs an AES-256 key.');
  const iv = randomBytes(GCM_IV_BYTES);
  const { ciphertext, tag } = aesGcmEncrypt({ key, iv, plaintext, aad });
  return Buffer.concat([iv, ciphertext, tag]);
}

export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== AES_256_KEY_BYTES) throw new CryptoParameterError('open needs an AES-256 key.');
  if (sealed.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new DecryptionError('Sealed value is too short.');
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  return aesGcmDecrypt({
    key,
    iv: bytes.subarray(0, GCM_IV_BYTES),
    ciphertext: bytes.subarray(GCM_IV_BYTES, bytes.length - GCM_TAG_BYTES),
    tag: bytes.subarray(bytes.length - GCM_TAG_BYTES),
    aad,
  });
}
