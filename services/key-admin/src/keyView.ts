import type { DestructionRequest, KeyRecord } from '@keyledger/domain';
import type { KeyUsage } from '@keyledger/key-hierarchy';

/** A key as the Auth0 Management API shows it. */
export interface EncryptionKeyView {
  kid: string;
  type: KeyRecord['type'];
  state: KeyRecord['state'];
  created_at: string;
  updated_at: string;
  parent_kid: string | null;
  public_key: string | null;
  /** keyledger: the namespace of a tenant-encryption-key (namespace key); null for other types. */
  namespace: string | null;
}

export function toEncryptionKeyView(key: KeyRecord): EncryptionKeyView {
  return {
    kid: key.kid,
    type: key.type,
    state: key.state,
    created_at: key.createdAt,
    updated_at: key.updatedAt,
    parent_kid: key.parentKid,
    public_key: key.publicKey ?? null,
    namespace: key.namespace ?? null,
  };
}

/** `GET /v1/keys/{kid}/usage`: what depends on a key. */
export interface KeyUsageView {
  kid: string;
  state: KeyRecord['state'];
  secret_versions: number;
  last_decrypt_at: string | null;
  decrypts: number;
}

export function toKeyUsageView(usage: KeyUsage): KeyUsageView {
  return { kid: usage.kid, state: usage.state, secret_versions: usage.secretVersions, last_decrypt_at: usage.lastDecryptAt, decrypts: usage.decrypts };
}

/** The wrapping-key response: Auth0's two fields, plus the OAEP hash the store expects and the expiry. */
export interface WrappingKeyView {
  public_key: string;
  algorithm: 'CKM_RSA_AES_KEY_WRAP';
  oaep_hash: 'sha256' | 'sha1';
  expires_at: string;
}

/** A destruction request as the API shows it. */
export function toDestructionRequestView(request: DestructionRequest) {
  return {
    id: request.id,
    action: request.action,
    kids: request.kids,
    requested_by: { sub: request.requestedBy.sub, client_id: request.requestedBy.clientId },
    requested_at: request.requestedAt,
    approvals: request.approvals,
    required_approvals: request.requiredApprovals,
    scheduled_for: request.scheduledFor,
    expires_at: request.expiresAt,
    state: request.state,
    finished_at: request.finishedAt ?? null,
    reason: request.reason ?? null,
  };
}
