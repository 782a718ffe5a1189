import type { DestructionRequest } from './destructionRequests';
import type { WrappingKeyRecord } from './events';

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

/** A customer-provided root key, created by the root key store with no material (`pre-activation`). */
export interface CreateCustomerRootKey {
  type: 'CreateCustomerRootKey';
  data: { kid: string; now: string };
}

export interface IssueWrappingKey {
  type: 'IssueWrappingKey';
  data: { kid: string; wrappingKey: WrappingKeyRecord; now: string };
}

/**
 * The store imported the material with the key's current wrapping key, and the active TMK
 * (whose fingerprint is unchanged) is staged wrapped under it: activate it and move the TMK.
 */
export interface ImportCustomerRootKey {
  type: 'ImportCustomerRootKey';
  data: { kid: string; wrappingKeyId: string; now: string; wrappedKeyDigest?: string };
}

/** Destroys a customer-provided root key; an active one first hands the TMK back to the ERK. */
export interface DeleteCustomerRootKey {
  type: 'DeleteCustomerRootKey';
  data: { kid: string; now: string };
}

export interface RecordCustomerKeyMaterialDeleted {
  type: 'RecordCustomerKeyMaterialDeleted';
  data: { kid: string; now: string };
}

/** Destroys a deactivated namespace key once nothing depends on it (checked by the caller): by hand, or by the tenant's retention setting. */
export interface RetireKey {
  type: 'RetireKey';
  data: { kid: string; cause: 'retire' | 'retention'; now: string };
}

export interface ChangeRetentionPolicy {
  type: 'ChangeRetentionPolicy';
  data: { autoRetireAfter: string | null; now: string };
}

/** The caller wrote the destroyed keys of an older stream to the key catalog. */
export interface RecordKeyCatalogBackfill {
  type: 'RecordKeyCatalogBackfill';
  data: { keys: number; now: string };
}

/** Opens a destruction request (the caller built it from the policy); a key already named by a live one changes nothing. */
export interface RequestDestruction {
  type: 'RequestDestruction';
  data: { request: DestructionRequest; now: string };
}

export interface ApproveDestruction {
  type: 'ApproveDestruction';
  data: { id: string; sub: string; now: string };
}

export interface CancelDestruction {
  type: 'CancelDestruction';
  data: { id: string; sub: string; mayApprove: boolean; now: string };
}

/** A scheduler tick for one request: execute it (approved and due), or expire it, or record why it failed. */
export interface SettleDestruction {
  type: 'SettleDestruction';
  data: { id: string; outcome: 'execute' | 'expire' | { failed: string }; now: string };
}

export type KeyHierarchyCommand =
  | ProvisionTenant
  | AddNamespaceKeys
  | Rekey
  | CreateCustomerRootKey
  | IssueWrappingKey
  | ImportCustomerRootKey
  | DeleteCustomerRootKey
  | RecordCustomerKeyMaterialDeleted
  | RetireKey
  | ChangeRetentionPolicy
  | RecordKeyCatalogBackfill
  | RequestDestruction
  | ApproveDestruction
  | CancelDestruction
  | SettleDestruction;
