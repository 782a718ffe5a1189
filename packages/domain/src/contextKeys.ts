/**
 * Names of the encryption-context entries keyledger binds wrapped keys to. The root key store
 * sees them (KMS records them in CloudTrail), and the audit reads the tenant and key id from them.
 */
export const CONTEXT_KEYS = {
  tenant: 'keyledger:tenant',
  kid: 'keyledger:kid',
  keyType: 'keyledger:key-type',
  namespace: 'keyledger:namespace',
  parentKid: 'keyledger:parent-kid',
  rootKid: 'keyledger:root-kid',
  secretName: 'keyledger:secret-name',
  secretVersion: 'keyledger:secret-version',
} as const;
