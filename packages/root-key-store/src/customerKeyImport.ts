import { randomUUID } from 'node:crypto';
import { describeRsaAesWrappedLength, maxKwpPayloadBytes } from '@keyledger/crypto';
import { KeyImportError } from '@keyledger/domain';
import { CUSTOMER_KEY_BYTES } from './rootKeyStore';

/** Key ids of CPRKs in stores that name them (software, PKCS#11); KMS uses its KeyId. */
export const CUSTOMER_KID_PATTERN = /^cprk-[0-9a-f-]{36}$/;
export const newCustomerKid = () => `cprk-${randomUUID()}`;

/** The one message for material that does not unwrap, whatever the cryptographic cause. */
export const UNWRAP_FAILED_MESSAGE =
  "wrapped_key could not be unwrapped with this key's current wrapping key: it was wrapped for another wrapping key, with another OAEP hash, or is corrupt.";

/**
 * Checks a CKM_RSA_AES_KEY_WRAP blob's length before any private-key operation: the RSA part
 * is one modulus long, and the RFC 5649 part must be able to hold exactly 256 bits.
 */
export function checkWrappedKeyShape(wrappedLength: number, modulusBytes: number): void {
  const problem = describeRsaAesWrappedLength(wrappedLength, modulusBytes);
  if (problem) throw new KeyImportError('invalid_length', problem);
  const maxBytes = maxKwpPayloadBytes(wrappedLength - modulusBytes);
  if (maxBytes < CUSTOMER_KEY_BYTES) {
    throw new KeyImportError(
      'key_material_too_short',
      `wrapped_key holds at most ${maxBytes * 8} bits of key material; a customer-provided root key must be 256 bits (AES-256).`,
    );
  }
  if (maxBytes - 8 >= CUSTOMER_KEY_BYTES) {
    throw new KeyImportError(
      'invalid_length',
      `wrapped_key is ${wrappedLength} bytes, too long for 256-bit key material (expected ${modulusBytes + CUSTOMER_KEY_BYTES + 8} bytes).`,
    );
  }
}

/** After unwrapping: exactly 256 bits. */
export function checkKeyMaterialLength(length: number): void {
  if (length === 0) {
    throw new KeyImportError('key_material_too_short', 'The key material is shorter than 256 bits; a customer-provided root key must be 256 bits (AES-256).');
  }
  if (length < CUSTOMER_KEY_BYTES) {
    throw new KeyImportError(
      'key_material_too_short',
      `The key material is ${length * 8} bits; a customer-provided root key must be 256 bits (AES-256).`,
    );
  }
  if (length !== CUSTOMER_KEY_BYTES) {
    throw new KeyImportError('invalid_key_material', `The key material is ${length * 8} bits; it must be exactly 256 bits (AES-256).`);
  }
}
