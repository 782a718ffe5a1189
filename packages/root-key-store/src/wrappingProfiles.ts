import type { OaepHash } from '@keyledger/crypto';
import { ValidationError } from '@keyledger/domain';
import type { RootKeyStore } from './rootKeyStore';

/** Refuses an OAEP hash the store does not offer; never falls back to another one. */
export function assertWrappingProfile(store: Pick<RootKeyStore, 'kind' | 'wrappingProfiles'>, oaepHash: OaepHash): void {
  if (!store.wrappingProfiles.includes(oaepHash)) {
    throw new ValidationError(
      `The ${store.kind} root key store does not offer CKM_RSA_AES_KEY_WRAP with OAEP ${oaepHash}; it offers ${store.wrappingProfiles.join(', ')}.`,
    );
  }
}
