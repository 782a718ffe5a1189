import { KeyledgerError } from '@keyledger/domain';

/** Authentication of a ciphertext or wrapped key failed. Says nothing about why, on purpose. */
export class DecryptionError extends KeyledgerError {
  constructor(message = 'Decryption failed: the ciphertext, key or context does not match.', options?: { cause?: unknown }) {
    super('decryption_failed', message, options);
  }
}

/** A crypto primitive was called with parameters it does not accept. */
export class CryptoParameterError extends KeyledgerError {
  constructor(message: string) {
    super('crypto_parameter_error', message);
  }
}
