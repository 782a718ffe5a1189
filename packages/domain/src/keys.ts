import { IllegalKeyStateError } from './errors';

export const KEY_TYPES = [
  'environment-root-key',
  'customer-provided-root-key',
  'tenant-master-key',
  'tenant-encryption-key',
] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const KEY_STATES = ['pre-activation', 'active', 'deactivated', 'destroyed'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** One key of a tenant's hierarchy, as the event log knows it. Never holds key material. */
export interface KeyRecord {
  kid: string;
  type: KeyType;
  state: KeyState;
  createdAt: string;
  updatedAt: string;
  /** The key that wraps this one; null for a root key. */
  parentKid: string | null;
  /** Namespace of a `tenant-encryption-key`; null for every other type. */
  namespace: string | null;
  /** Commitment to the key bytes, checked after every unwrap; null for keys held outside (root keys). */
  fingerprint: string | null;
  /** A pre-activation customer-provided root key's current wrapping key (PEM), as Auth0 lists it. */
  publicKey?: string | null;
  /** Its place in the tenant's key catalog: the tenant's n-th key, from 0 (the environment root key). */
  seq: number;
  /** When it became `deactivated`; null for a key that never was. */
  deactivatedAt: string | null;
}

/**
 * The lifecycle of DESIGN.md: pre-activation → active → deactivated → destroyed.
 * `destroyed` is final. Reactivating a deactivated key is refused: a namespace has exactly
 * one active key and a rekey makes a new one instead.
 */
const ALLOWED_TRANSITIONS: Readonly<Record<KeyState, readonly KeyState[]>> = {
  'pre-activation': ['active', 'destroyed'],
  active: ['deactivated', 'destroyed'],
  deactivated: ['destroyed'],
  destroyed: [],
};

export function canTransition(from: KeyState, to: KeyState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

export function assertTransition(key: Pick<KeyRecord, 'kid' | 'state'>, to: KeyState): void {
  if (!canTransition(key.state, to)) {
    throw new IllegalKeyStateError(`Key ${key.kid} cannot go from '${key.state}' to '${to}'.`);
  }
}

export type KeyUse = 'encrypt' | 'decrypt';

/** Active keys encrypt and decrypt; deactivated keys decrypt only; nothing else is usable. */
export function canUse(state: KeyState, use: KeyUse): boolean {
  if (state === 'active') return true;
  return state === 'deactivated' && use === 'decrypt';
}

export function assertUsable(key: Pick<KeyRecord, 'kid' | 'state'>, use: KeyUse): void {
  if (!canUse(key.state, use)) {
    throw new IllegalKeyStateError(`Key ${key.kid} is '${key.state}' and cannot ${use}.`);
  }
}

export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
