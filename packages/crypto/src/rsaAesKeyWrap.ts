import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { CryptoParameterError, DecryptionError } from './errors';
import { unwrapKeyWithPadding, wrapKeyWithPadding } from './keyWrap';
import { zeroize } from './keys';

/**
 * CKM_RSA_AES_KEY_WRAP (PKCS#11 v2.40 §2.1.21), the scheme of AWS KMS `RSA_AES_KEY_WRAP_SHA_*`
 * and Auth0's BYOK: a fresh AES key is encrypted with RSA-OAEP (same hash for OAEP and MGF1,
 * empty label), the key material is wrapped with that AES key by RFC 5649 key wrap with
 * padding, and the two are concatenated: OAEP(ephemeral key) ‖ KWP(ephemeral key, material).
 */
export const OAEP_HASHES = ['sha256', 'sha1'] as const;
export type OaepHash = (typeof OAEP_HASHES)[number];

export const RSA_AES_KEY_WRAP = 'CKM_RSA_AES_KEY_WRAP';
export const WRAPPING_KEY_BITS = 3072;
/** DESIGN.md: a 256-bit ephemeral AES key. */
export const EPHEMERAL_KEY_BYTES = 32;

/** One error for every way an RSA-OAEP ciphertext can be wrong, so that none can be told apart (Manger). */
const OAEP_FAILURE = 'RSA-OAEP decryption failed.';

export function rsaOaepEncrypt(publicKey: KeyObject, plaintext: Uint8Array, hash: OaepHash, label?: Uint8Array): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, oaepLabel: label }, plaintext);
}

export function rsaOaepDecrypt(privateKey: KeyObject, ciphertext: Uint8Array, hash: OaepHash, label?: Uint8Array): Buffer {
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash, oaepLabel: label }, ciphertext);
  } catch {
    // No cause attached: OpenSSL's message would tell padding failures from length failures.
    throw new DecryptionError(OAEP_FAILURE);
  }
}

/** Modulus length in bytes: the length of the OAEP part of a CKM_RSA_AES_KEY_WRAP blob. */
export function rsaModulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || !bits) throw new CryptoParameterError('Expected an RSA key.');
  return Math.ceil(bits / 8);
}

export function parseRsaPublicKey(pem: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(typeof pem === 'string' ? pem : { key: Buffer.from(pem), format: 'der', type: 'spki' });
  } catch {
    throw new CryptoParameterError('The public key is not a PEM (or DER SubjectPublicKeyInfo) public key.');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new CryptoParameterError(`The public key is ${key.asymmetricKeyType}, not RSA.`);
  return key;
}

export function rsaAesKeyWrap(
  publicKey: KeyObject,
  keyMaterial: Uint8Array,
  hash: OaepHash,
  ephemeralKey: Buffer = randomBytes(EPHEMERAL_KEY_BYTES),
): Buffer {
  try {
    return Buffer.concat([rsaOaepEncrypt(publicKey, ephemeralKey, hash), wrapKeyWithPadding(ephemeralKey, keyMaterial)]);
  } finally {
    zeroize(ephemeralKey);
  }
}

/** Shape checks that need no private key: the OAEP part is one modulus long, the KWP part whole 64-bit blocks. */
export function describeRsaAesWrappedLength(wrappedLength: number, modulusBytes: number): string | undefined {
  const kwp = wrappedLength - modulusBytes;
  if (kwp < 16 || kwp % 8 !== 0) {
    return `wrapped_key is ${wrappedLength} bytes; for this ${modulusBytes * 8}-bit wrapping key it must be ${modulusBytes} bytes of RSA-OAEP followed by an RFC 5649 wrapped key (a multiple of 8 bytes, at least 16), e.g. ${modulusBytes + 40} bytes for 256-bit key material.`;
  }
  return undefined;
}

/** Largest key material, in bytes, an RFC 5649 blob of this length can hold. */
export function maxKwpPayloadBytes(kwpLength: number): number {
  return kwpLength - 8;
}

export function rsaAesKeyUnwrap(privateKey: KeyObject, wrapped: Uint8Array, hash: OaepHash): Buffer {
  const modulusBytes = rsaModulusBytes(privateKey);
  const problem = describeRsaAesWrappedLength(wrapped.length, modulusBytes);
  if (problem) throw new CryptoParameterError(problem);
  const blob = Buffer.from(wrapped);
  const ephemeralKey = rsaOaepDecrypt(privateKey, blob.subarray(0, modulusBytes), hash);
  try {
    if (ephemeralKey.length !== 16 && ephemeralKey.length !== 24 && ephemeralKey.length !== 32) throw new DecryptionError(OAEP_FAILURE);
    return unwrapKeyWithPadding(ephemeralKey, blob.subarray(modulusBytes));
  } finally {
    zeroize(ephemeralKey);
  }
}

const generateKeyPairAsync = promisify(generateKeyPair);
/** The generation running now, if any: the next one waits for it. */
let generating: Promise<unknown> = Promise.resolve();

/**
 * An RSA wrapping key pair (RSA-3072, e = 65537), generated off the event loop, one at a time
 * per process: each takes a libuv thread for a second or more, and the other three of the pool
 * serve file and database I/O (dynalite's, locally). Concurrent callers wait in turn.
 */
export async function generateRsaWrappingKeyPair(bits = WRAPPING_KEY_BITS): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  const turn = generating.then(() => generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 }));
  generating = turn.catch(() => undefined);
  return turn;
}

export const publicKeyPem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

export function parseRsaPrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}
