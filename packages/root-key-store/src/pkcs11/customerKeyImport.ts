import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { ConcurrencyError, KeyImportError, RootKeyStoreError } from '@keyledger/domain';
import type * as P from 'pkcs11js';
import { checkKeyMaterialLength, checkWrappedKeyShape, UNWRAP_FAILED_MESSAGE } from '../customerKeyImport';
import { WRAPPING_KEY_VALIDITY_MS, type ImportKeyMaterialInput, type IssuedWrappingKey, type WrappingKeyRequest } from '../rootKeyStore';
import { pkcs11js, pkcs11Reason, ulong } from './pkcs11Module';
import { aesKeyTemplate, ephemeralKeyTemplate, GCM_IV_BYTES, GCM_TAG_BYTES, gcmMechanism, oaepMechanism, wrappingKeyLabel } from './templates';

const {
  CKA_CLASS,
  CKA_DECRYPT,
  CKA_ENCRYPT,
  CKA_EXTRACTABLE,
  CKA_ID,
  CKA_KEY_TYPE,
  CKA_LABEL,
  CKA_MODULUS,
  CKA_MODULUS_BITS,
  CKA_PRIVATE,
  CKA_PUBLIC_EXPONENT,
  CKA_SENSITIVE,
  CKA_TOKEN,
  CKA_UNWRAP,
  CKA_VALUE_LEN,
  CKA_WRAP,
  CKF_RW_SESSION,
  CKF_SERIAL_SESSION,
  CKK_RSA,
  CKM_AES_KEY_WRAP_PAD,
  CKM_RSA_PKCS_KEY_PAIR_GEN,
  CKO_PRIVATE_KEY,
  CKO_SECRET_KEY,
} = pkcs11js;

/** What the BYOK steps need of the store: its module, slot and session, and object lookup. */
export interface TokenAccess {
  pkcs11: P.PKCS11;
  slot: Buffer;
  session: Buffer;
  clock: () => Date;
  find(objectClass: number, objectLabel?: string, id?: Buffer): Buffer[];
}

/**
 * A fresh RSA-3072 wrapping key for one CPRK: the private half a non-extractable token object
 * labelled for the CPRK (its CKA_ID names tenant and wrapping key), replacing earlier ones.
 */
export async function generateWrappingKey(token: TokenAccess, { tenant, kid, oaepHash }: WrappingKeyRequest): Promise<IssuedWrappingKey> {
  const { pkcs11 } = token;
  const wrappingKeyId = `wk-${randomUUID()}`;
  // Key generation runs off the event loop, in a session of its own.
  const session = pkcs11.C_OpenSession(token.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
  let keys: P.KeyPair;
  try {
    keys = await pkcs11.C_GenerateKeyPairAsync(
      session,
      { mechanism: CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        { type: CKA_TOKEN, value: false },
        { type: CKA_ENCRYPT, value: true },
        { type: CKA_WRAP, value: true },
        { type: CKA_MODULUS_BITS, value: 3072 },
        { type: CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      [
        { type: CKA_CLASS, value: CKO_PRIVATE_KEY },
        { type: CKA_KEY_TYPE, value: CKK_RSA },
        { type: CKA_TOKEN, value: true },
        { type: CKA_PRIVATE, value: true },
        { type: CKA_SENSITIVE, value: true },
        { type: CKA_EXTRACTABLE, value: false },
        { type: CKA_UNWRAP, value: true },
        { type: CKA_DECRYPT, value: false },
        { type: CKA_LABEL, value: wrappingKeyLabel(kid) },
        { type: CKA_ID, value: Buffer.from(`${tenant}/${wrappingKeyId}`) },
      ],
    );
    const [modulus, exponent] = pkcs11.C_GetAttributeValue(session, keys.publicKey, [{ type: CKA_MODULUS }, { type: CKA_PUBLIC_EXPONENT }]);
    const publicKey = createPublicKey({
      key: { kty: 'RSA', n: (modulus?.value as Buffer).toString('base64url'), e: (exponent?.value as Buffer).toString('base64url') },
      format: 'jwk',
    });
    // A new wrapping key replaces the earlier ones of this key: each is good for one import.
    for (const earlier of token.find(CKO_PRIVATE_KEY, wrappingKeyLabel(kid))) {
      if (!earlier.equals(keys.privateKey)) pkcs11.C_DestroyObject(token.session, earlier);
    }
    return {
      wrappingKeyId,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      oaepHash,
      expiresAt: new Date(token.clock().getTime() + WRAPPING_KEY_VALIDITY_MS).toISOString(),
      importToken: null,
    };
  } catch (error) {
    if (error instanceof RootKeyStoreError) throw error;
    throw new RootKeyStoreError('hsm_error', `PKCS#11 wrapping key generation failed: ${pkcs11Reason(error)}.`);
  } finally {
    pkcs11.C_CloseSession(session);
  }
}

/**
 * CKM_RSA_AES_KEY_WRAP in two in-HSM steps: RSA-OAEP to an ephemeral session AES key, then
 * CKM_AES_KEY_WRAP_PAD to the CPRK token object. The material is never in the clear outside.
 */
export function importWrappedKeyMaterial(token: TokenAccess, { tenant, kid, wrappingKey, wrappedKey }: ImportKeyMaterialInput): void {
  const { pkcs11, session } = token;
  const privateKey = token.find(CKO_PRIVATE_KEY, wrappingKeyLabel(kid), Buffer.from(`${tenant}/${wrappingKey.wrappingKeyId}`))[0];
  if (!privateKey) throw new KeyImportError('wrapping_key_unknown', 'The HSM no longer holds this wrapping key; request a new one.');
  const modulus = pkcs11.C_GetAttributeValue(session, privateKey, [{ type: CKA_MODULUS }])[0]?.value as Buffer;
  checkWrappedKeyShape(wrappedKey.length, modulus.length);
  if (token.find(CKO_SECRET_KEY, kid).length > 0) throw new ConcurrencyError(`Key material for ${kid} is being imported by another request.`);
  const blob = Buffer.from(wrappedKey);
  let ephemeral: Buffer | undefined;
  let imported: Buffer;
  try {
    ephemeral = pkcs11.C_UnwrapKey(session, oaepMechanism(wrappingKey.oaepHash), privateKey, blob.subarray(0, modulus.length), ephemeralKeyTemplate());
    imported = pkcs11.C_UnwrapKey(session, { mechanism: CKM_AES_KEY_WRAP_PAD }, ephemeral, blob.subarray(modulus.length), aesKeyTemplate(kid, Buffer.from(tenant)));
  } catch {
    throw new KeyImportError('unwrap_failed', UNWRAP_FAILED_MESSAGE);
  } finally {
    if (ephemeral) pkcs11.C_DestroyObject(session, ephemeral);
  }
  try {
    checkKeyMaterialLength(importedKeyLength(token, imported));
  } catch (error) {
    pkcs11.C_DestroyObject(session, imported);
    throw error;
  }
}

/**
 * The imported key's length without reading it: CKA_VALUE_LEN where the token sets it on
 * unwrap; else (SoftHSM2 leaves it unset) an AES-GCM operation, which works only for AES key
 * sizes, and the only AES size an accepted wrapped length can hold (25 to 32 bytes) is 32.
 */
function importedKeyLength({ pkcs11, session }: TokenAccess, imported: Buffer): number {
  const declared = ulong(pkcs11.C_GetAttributeValue(session, imported, [{ type: CKA_VALUE_LEN }])[0]?.value as Buffer | undefined);
  if (declared > 0) return declared;
  try {
    pkcs11.C_EncryptInit(session, gcmMechanism(randomBytes(GCM_IV_BYTES), Buffer.alloc(0)), imported);
    pkcs11.C_Encrypt(session, Buffer.alloc(16), Buffer.alloc(16 + GCM_TAG_BYTES));
    return 32;
  } catch {
    return 0;
  }
}
