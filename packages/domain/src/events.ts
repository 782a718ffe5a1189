import type { KeyState, KeyType } from './keys';

/** Why a key changed; carried into the integration events as `cause`. */
export type KeyChangeCause = 'provision' | 'namespace-added' | 'rekey';

export interface TenantProvisioned {
  type: 'TenantProvisioned';
  data: {
    tenant: string;
    /** The deployment's environment root key, recorded so the tenant's hierarchy lists it. */
    rootKey: { kid: string; createdAt: string };
    occurredAt: string;
  };
}

export interface KeyCreated {
  type: 'KeyCreated';
  data: {
    kid: string;
    keyType: KeyType;
    state: KeyState;
    parentKid: string | null;
    namespace: string | null;
    fingerprint: string | null;
    cause: KeyChangeCause;
    occurredAt: string;
  };
}

export interface KeyStateChanged {
  type: 'KeyStateChanged';
  data: {
    kid: string;
    keyType: KeyType;
    from: KeyState;
    to: KeyState;
    cause: KeyChangeCause;
    occurredAt: string;
  };
}

/** Keys whose material is now wrapped by another parent key (no state change). */
export interface KeysRewrapped {
  type: 'KeysRewrapped';
  data: {
    kids: string[];
    fromParentKid: string;
    toParentKid: string;
    cause: KeyChangeCause;
    occurredAt: string;
  };
}

export interface TenantRekeyed {
  type: 'TenantRekeyed';
  data: { previousTmkKid: string; tmkKid: string; occurredAt: string };
}

export type KeyHierarchyEvent =
  | TenantProvisioned
  | KeyCreated
  | KeyStateChanged
  | KeysRewrapped
  | TenantRekeyed;

export type KeyHierarchyEventType = KeyHierarchyEvent['type'];
