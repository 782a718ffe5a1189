import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { encodeEncryptionContext, generateAes256Key, open, seal, zeroize, type EncryptionContext } from '@keyledger/crypto';
import { CONTEXT_KEYS, IntegrityError } from '@keyledger/domain';
import type { RootKeyStore } from '@keyledger/root-key-store';
import type { ReceiptPublicJwk, StoredReceiptKey } from './receiptKeyRepository';

/** The `keyledger:purpose` of a receipt key's wrapped data key: it unwraps for nothing else. */
export const RECEIPT_KEY_PURPOSE = 'destruction-receipt-signing';

/** The encryption context of a receipt key's data key; its encoding is also the AAD of the sealed private key. */
export const receiptKeyContext = (kid: string): EncryptionContext => ({ 'keyledger:purpose': RECEIPT_KEY_PURPOSE, [CONTEXT_KEYS.kid]: kid });

/** `rk_<13-digit ms>_<8 hex>`: unique, and sorted by creation time. */
export function newReceiptKid(now: Date): string {
  return `rk_${String(now.getTime()).padStart(13, '0')}_${randomBytes(4).toString('hex')}`;
}

/** A receipt key ready to sign with. */
export interface UnsealedReceiptKey {
  stored: StoredReceiptKey;
  privateKey: KeyObject;
}

/**
 * A new P-256 key: the PKCS#8 private key sealed under a fresh data key, the data key wrapped
 * by the environment root key. The clear bytes are zeroed before this returns.
 */
export async function createReceiptKey(rootKeyStore: RootKeyStore, now: Date): Promise<UnsealedReceiptKey> {
  const kid = newReceiptKid(now);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const dataKey = generateAes256Key();
  try {
    const context = receiptKeyContext(kid);
    const sealedPrivateKey = seal(dataKey, der, encodeEncryptionContext(context));
    const { kid: rootKid } = await rootKeyStore.describeRootKey();
    const { wrappedKey } = await rootKeyStore.wrapKey({ rootKid, plaintextKey: dataKey, encryptionContext: context });
    const stored: StoredReceiptKey = {
      kid,
      createdAt: now.toISOString(),
      publicJwk: publicJwkOf(publicKey),
      rootKid,
      wrappedDataKey: wrappedKey.toString('base64'),
      sealedPrivateKey: sealedPrivateKey.toString('base64'),
    };
    return { stored, privateKey };
  } finally {
    zeroize(dataKey, der);
  }
}

/** Unwraps the data key through the root key store and opens the private key; checks it matches the stored public key. */
export async function unsealReceiptKey(rootKeyStore: RootKeyStore, stored: StoredReceiptKey): Promise<UnsealedReceiptKey> {
  const context = receiptKeyContext(stored.kid);
  const dataKey = await rootKeyStore.unwrapKey({ rootKid: stored.rootKid, wrappedKey: Buffer.from(stored.wrappedDataKey, 'base64'), encryptionContext: context });
  let der: Buffer | undefined;
  try {
    der = open(dataKey, Buffer.from(stored.sealedPrivateKey, 'base64'), encodeEncryptionContext(context));
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const actual = publicJwkOf(createPublicKey(privateKey));
    if (actual.x !== stored.publicJwk.x || actual.y !== stored.publicJwk.y) {
      throw new IntegrityError(`Receipt key ${stored.kid}: the sealed private key does not match its public key.`);
    }
    return { stored, privateKey };
  } finally {
    zeroize(dataKey, der);
  }
}

function publicJwkOf(publicKey: KeyObject): ReceiptPublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new IntegrityError('Receipt keys are P-256 EC keys.');
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}
