/**
 * Commands carry everything impure the decision needs — the clock, fresh key ids and the
 * fingerprints of freshly generated key material — so deciding stays a pure function.
 */
export interface NewKey {
  kid: string;
  fingerprint: string;
}

export interface NewNamespaceKey extends NewKey {
  namespace: string;
}

export interface ProvisionTenant {
  type: 'ProvisionTenant';
  data: {
    tenant: string;
    rootKey: { kid: string; createdAt: string };
    tmk: NewKey;
    namespaceKeys: NewNamespaceKey[];
    now: string;
  };
}

/** Adds keys for namespaces configured after the tenant was provisioned. */
export interface AddNamespaceKeys {
  type: 'AddNamespaceKeys';
  data: { namespaceKeys: NewNamespaceKey[]; now: string };
}

export interface Rekey {
  type: 'Rekey';
  data: { tmk: NewKey; namespaceKeys: NewNamespaceKey[]; now: string };
}

export type KeyHierarchyCommand = ProvisionTenant | AddNamespaceKeys | Rekey;
