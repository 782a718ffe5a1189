import { KeyledgerError } from '@keyledger/domain';

/** Why a receipt was refused; stable codes a caller may switch on. */
export type ReceiptInvalidReason = 'malformed_jws' | 'wrong_alg' | 'wrong_typ' | 'unknown_kid' | 'bad_signature' | 'malformed_payload' | 'wrong_issuer';

/** A destruction receipt that does not verify. The message names what failed. */
export class ReceiptInvalidError extends KeyledgerError {
  constructor(
    readonly reason: ReceiptInvalidReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('receipt_invalid', message, options);
  }
}

/** A receipt key with this kid is already stored (the repository never overwrites one). */
export class ReceiptKeyExistsError extends KeyledgerError {
  constructor(kid: string, options?: { cause?: unknown }) {
    super('receipt_key_exists', `Receipt key ${kid} already exists.`, options);
  }
}
