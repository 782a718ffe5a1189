import type { OaepHash } from '@keyledger/crypto';
import type * as P from 'pkcs11js';
import { pkcs11js } from './pkcs11Module';

const {
  CKA_CLASS,
  CKA_DECRYPT,
  CKA_ENCRYPT,
  CKA_EXTRACTABLE,
  CKA_ID,
  CKA_KEY_TYPE,
  CKA_LABEL,
  CKA_PRIVATE,
  CKA_SENSITIVE,
  CKA_TOKEN,
  CKA_UNWRAP,
  CKA_VALUE_LEN,
  CKA_WRAP,
  CKK_AES,
  CKM_AES_GCM,
  CKM_AES_KEY_GEN,
  CKM_AES_KEY_WRAP_PAD,
  CKM_RSA_PKCS_KEY_PAIR_GEN,
  CKM_RSA_PKCS_OAEP,
  CKO_SECRET_KEY,
  CK_PARAMS_AES_GCM,
  CK_PARAMS_RSA_OAEP,
} = pkcs11js;

/** PKCS#11 v2.40 CKM_RSA_AES_KEY_WRAP: pkcs11js has no constant and cannot pass its parameters (a struct with a pointer). */
export const CKM_RSA_AES_KEY_WRAP = 0x1054;
const CKZ_DATA_SPECIFIED = 1;
const OAEP: Record<OaepHash, { hashAlg: number; mgf: number }> = {
  sha256: { hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  sha1: { hashAlg: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1 },
};
export const REQUIRED_MECHANISMS: Record<string, number> = {
  CKM_AES_GCM,
  CKM_AES_KEY_GEN,
  CKM_AES_KEY_WRAP_PAD,
  CKM_RSA_PKCS_OAEP,
  CKM_RSA_PKCS_KEY_PAIR_GEN,
};
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const PKCS11_WRAP_ALGORITHM = 'PKCS11_AES_256_GCM';

export const wrappingKeyLabel = (kid: string) => `wk:${kid}`;

/**
 * A root key: AES in the token, never extractable, never shown. The length is given when
 * generating; an unwrapped key takes the length of its material (checked after the import).
 */
export function aesKeyTemplate(objectLabel: string, id: Buffer, valueLength?: number): P.Template {
  const template: P.Template = [
    { type: CKA_CLASS, value: CKO_SECRET_KEY },
    { type: CKA_KEY_TYPE, value: CKK_AES },
    { type: CKA_TOKEN, value: true },
    { type: CKA_PRIVATE, value: true },
    { type: CKA_SENSITIVE, value: true },
    { type: CKA_EXTRACTABLE, value: false },
    { type: CKA_ENCRYPT, value: true },
    { type: CKA_DECRYPT, value: true },
    { type: CKA_WRAP, value: false },
    { type: CKA_UNWRAP, value: false },
    { type: CKA_LABEL, value: objectLabel },
    { type: CKA_ID, value: id },
  ];
  if (valueLength !== undefined) template.push({ type: CKA_VALUE_LEN, value: valueLength });
  return template;
}

/** The ephemeral AES key of CKM_RSA_AES_KEY_WRAP: a session object that can only unwrap. */
export function ephemeralKeyTemplate(): P.Template {
  return [
    { type: CKA_CLASS, value: CKO_SECRET_KEY },
    { type: CKA_KEY_TYPE, value: CKK_AES },
    { type: CKA_TOKEN, value: false },
    { type: CKA_SENSITIVE, value: true },
    { type: CKA_EXTRACTABLE, value: false },
    { type: CKA_UNWRAP, value: true },
    { type: CKA_ENCRYPT, value: false },
    { type: CKA_DECRYPT, value: false },
  ];
}

export function oaepMechanism(hash: OaepHash): P.Mechanism {
  return {
    mechanism: CKM_RSA_PKCS_OAEP,
    parameter: { type: CK_PARAMS_RSA_OAEP, ...OAEP[hash], source: CKZ_DATA_SPECIFIED } as P.RsaOAEP,
  };
}

export function gcmMechanism(iv: Buffer, aad: Buffer): P.Mechanism {
  return {
    mechanism: CKM_AES_GCM,
    parameter: { type: CK_PARAMS_AES_GCM, iv, aad, ivBits: GCM_IV_BYTES * 8, tagBits: GCM_TAG_BYTES * 8 } as P.AesGCM,
  };
}
