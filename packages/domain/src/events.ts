import type { DestructionRequest } from './destructionRequests';
import type { KeyState, KeyType } from './keys';

/** Why a key changed; carried into the integration events as `cause`. */
export const KEY_CHANGE_CAUSES = ['provision', 'namespace-added', 'rekey', 'cprk-create', 'cprk-import', 'cprk-delete', 'retire', 'retention', 'shred'] as const;
export type KeyChangeCause = (typeof KEY_CHANGE_CAUSES)[number];

export interface TenantProvisioned {
  type: 'TenantProvisioned';
  data: {
    tenant: string;
    /** The deployment's environment root key, recorded so the tenant's hierarchy lists it. */
    rootKey: { kid: string; createdAt: string };
    /** 1 for hierarchies that write destroyed keys to the key catalog (absent in older streams). */
    catalogVersion?: 1;
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

/**
 * Every live key wrapped by `fromParentKid` is now wrapped by `toParentKid` (no state change).
 * The keys are those the state knows under the old parent, so the event does not list them and
 * stays the same size however many keys move. Streams written before that carry `kids`.
 */
export interface KeysRewrapped {
  type: 'KeysRewrapped';
  data: {
    /** Only in events written before the key catalog: the keys that moved. */
    kids?: string[];
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

export type WrappingOaepHash = 'sha256' | 'sha1';

/** A one-time public wrapping key for importing a customer-provided root key. Not secret. */
export interface WrappingKeyRecord {
  wrappingKeyId: string;
  publicKeyPem: string;
  oaepHash: WrappingOaepHash;
  /** Opaque store data for the import (KMS import token, sealed by KMS); null when the store keeps it. */
  importToken: string | null;
  issuedAt: string;
  expiresAt: string;
}

/** Issuing a wrapping key replaces any earlier one of the same key. */
export interface WrappingKeyIssued {
  type: 'WrappingKeyIssued';
  data: { kid: string; wrappingKey: WrappingKeyRecord; occurredAt: string };
}

/** The material of a customer-provided root key is in the root key store (its wrapping key is used up). */
export interface CustomerRootKeyImported {
  type: 'CustomerRootKeyImported';
  /** `wrappedKeyDigest`: SHA-256 (hex) of the wrapped key sent, so that a retry of the same import is recognised. */
  data: { kid: string; wrappingKeyId: string; occurredAt: string; wrappedKeyDigest?: string };
}

/** The root key that wraps the tenant's TMKs changed (ERK → CPRK on import, back on delete). */
export interface TenantRootKeyChanged {
  type: 'TenantRootKeyChanged';
  data: { fromRootKid: string; toRootKid: string; cause: KeyChangeCause; occurredAt: string };
}

/** The root key store no longer holds anything of a destroyed customer-provided root key. */
export interface CustomerKeyMaterialDeleted {
  type: 'CustomerKeyMaterialDeleted';
  data: { kid: string; occurredAt: string };
}

/** The tenant's retention setting changed (null: no automatic retirement). */
export interface RetentionPolicyChanged {
  type: 'RetentionPolicyChanged';
  data: { autoRetireAfter: string | null; occurredAt: string };
}

/** The destroyed keys of a hierarchy that began before the key catalog are now in the catalog. */
export interface KeyCatalogBackfilled {
  type: 'KeyCatalogBackfilled';
  data: { keys: number; occurredAt: string };
}

/** A destructive call made under a destruction policy: the request waits (destructionRequests.ts). */
export interface DestructionRequested {
  type: 'DestructionRequested';
  data: { request: DestructionRequest; occurredAt: string };
}

/** One more approval; `request` is the request with it (approved once enough have come). */
export interface DestructionApproved {
  type: 'DestructionApproved';
  data: { request: DestructionRequest; sub: string; occurredAt: string };
}

/**
 * A request left the decision state, `request` as it ended: executed (with its key changes in
 * the same commit), failed, cancelled or expired, with `reason`.
 */
export interface DestructionFinished {
  type: 'DestructionFinished';
  data: { request: DestructionRequest; occurredAt: string };
}

/**
 * The tenant was crypto-shredded (a `shred_tenant` request executed): every key but the shared
 * environment root key destroyed in the same commit. The tenant id is tombstoned for good.
 */
export interface TenantShredded {
  type: 'TenantShredded';
  data: { requestId: string; occurredAt: string };
}

export type KeyHierarchyEvent =
  | TenantProvisioned
  | KeyCreated
  | KeyStateChanged
  | KeysRewrapped
  | TenantRekeyed
  | WrappingKeyIssued
  | CustomerRootKeyImported
  | TenantRootKeyChanged
  | CustomerKeyMaterialDeleted
  | RetentionPolicyChanged
  | KeyCatalogBackfilled
  | DestructionRequested
  | DestructionApproved
  | DestructionFinished
  | TenantShredded;

export type KeyHierarchyEventType = KeyHierarchyEvent['type'];
