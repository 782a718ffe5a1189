import { encodeEncryptionContext, type EncryptionContext } from '@keyledger/crypto';

/** Context under which the root key store wraps a tenant master key. */
export function tenantMasterKeyContext(tenant: string, kid: string): EncryptionContext {
  return { 'keyledger:tenant': tenant, 'keyledger:kid': kid, 'keyledger:key-type': 'tenant-master-key' };
}

/** AAD binding a wrapped namespace key to its tenant, id, namespace and wrapping TMK. */
export function namespaceKeyAad(tenant: string, kid: string, namespace: string, parentKid: string): Buffer {
  return encodeEncryptionContext({
    'keyledger:tenant': tenant,
    'keyledger:kid': kid,
    'keyledger:key-type': 'tenant-encryption-key',
    'keyledger:namespace': namespace,
    'keyledger:parent-kid': parentKid,
  });
}

export const NAMESPACE_KEY_WRAP_ALGORITHM = 'AES_256_GCM';
