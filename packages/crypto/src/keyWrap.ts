import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoParameterError, DecryptionError } from './errors';

/** RFC 5649 alternative initial value prefix; node:crypto appends the 32-bit length itself. */
const RFC5649_AIV = Buffer.from('a65959a6', 'hex');

function kwpCipherName(kek: Uint8Array): string {
  switch (kek.length) {
    case 16:
      return 'id-aes128-wrap-pad';
    case 24:
      return 'id-aes192-wrap-pad';
    case 32:
      return 'id-aes256-wrap-pad';
    default:
      throw new CryptoParameterError(`Key-encryption key must be 16, 24 or 32 bytes, got ${kek.length}.`);
  }
}

/** AES key wrap with padding (RFC 5649), as used by CKM_AES_KEY_WRAP_PAD and CKM_RSA_AES_KEY_WRAP. */
export function wrapKeyWithPadding(kek: Uint8Array, keyData: Uint8Array): Buffer {
  if (keyData.length === 0) throw new CryptoParameterError('Cannot wrap an empty key.');
  const cipher = createCipheriv(kwpCipherName(kek), kek, RFC5649_AIV);
  return Buffer.concat([cipher.update(keyData), cipher.final()]);
}

export function unwrapKeyWithPadding(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  const cipherName = kwpCipherName(kek);
  // RFC 5649: the output is n+1 64-bit blocks with n ≥ 1.
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) {
    throw new DecryptionError('Wrapped key has an invalid length.');
  }
  try {
    const decipher = createDecipheriv(cipherName, kek, RFC5649_AIV);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch (error) {
    throw new DecryptionError('Key unwrap failed: integrity check did not pass.', { cause: error });
  }
}
