import type { KeyRecord } from '@keyledger/domain';

/** A key as the Auth0 Management API shows it. */
export interface EncryptionKeyView {
  kid: string;
  type: KeyRecord['type'];
  state: KeyRecord['state'];
  created_at: string;
  updated_at: string;
  parent_kid: string | null;
  public_key: string | null;
}

export function toEncryptionKeyView(key: KeyRecord): EncryptionKeyView {
  return {
    kid: key.kid,
    type: key.type,
    state: key.state,
    created_at: key.createdAt,
    updated_at: key.updatedAt,
    parent_kid: key.parentKid,
    public_key: null,
  };
}
