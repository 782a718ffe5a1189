import { encodeEncryptionContext, type EncryptionContext } from '@keyledger/crypto';
import { CONTEXT_KEYS as C } from '@keyledger/domain';

/** Context under which the root key store wraps a tenant master key. */
export function tenantMasterKeyContext(tenant: string, kid: string): EncryptionContext {
  return { [C.tenant]: tenant, [C.kid]: kid, [C.keyType]: 'tenant-master-key' };
}

/** AAD binding a wrapped namespace key to its tenant, id, namespace and wrapping TMK. */
export function namespaceKeyAad(tenant: string, kid: string, namespace: string, parentKid: string): Buffer {
  return encodeEncryptionContext({
    [C.tenant]: tenant,
    [C.kid]: kid,
    [C.keyType]: 'tenant-encryption-key',
    [C.namespace]: namespace,
    [C.parentKid]: parentKid,
  });
}

export const NAMESPACE_KEY_WRAP_ALGORITHM = 'AES_256_GCM';
