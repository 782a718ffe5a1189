import { createHash, randomBytes } from 'node:crypto';
import { AES_256_KEY_BYTES } from './aesGcm';

/** A fresh AES-256 key from the CSPRNG. The caller zeroes it when done. */
export function generateAes256Key(): Buffer {
  return randomBytes(AES_256_KEY_BYTES);
}

const FINGERPRINT_LABEL = Buffer.from('keyledger/key-fingerprint/v1\0', 'utf8');

/**
 * A 128-bit commitment to key bytes, recorded in events and checked after every unwrap so that
 * a swapped or corrupted material entry is caught. It reveals nothing usable about a 256-bit key.
 */
export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update(FINGERPRINT_LABEL).update(key).digest().subarray(0, 16).toString('hex');
}

/** Overwrites key bytes once they are no longer needed. */
export function zeroize(...buffers: Array<Uint8Array | undefined>): void {
  for (const buffer of buffers) buffer?.fill(0);
}
