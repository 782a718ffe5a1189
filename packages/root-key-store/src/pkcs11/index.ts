export { Pkcs11RootKeyStore } from './pkcs11RootKeyStore';
export type { Pkcs11RootKeyStoreOptions } from './tokenSetup';
export { CKM_RSA_AES_KEY_WRAP, PKCS11_WRAP_ALGORITHM } from './templates';
