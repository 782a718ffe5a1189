import type { NewNamespaceKey } from '../commands';
import { ValidationError } from '../errors';
import type { KeyCreated, KeyStateChanged } from '../events';
import { assertTransition, NAMESPACE_PATTERN, type KeyRecord, type KeyState } from '../keys';
import { findKey, type TenantKeyHierarchy } from './state';

/**
 * New key ids must be non-empty and not those of live keys. Ids of destroyed keys are not in
 * the decision state (it stays bounded); the service makes every id a fresh random UUID.
 */
export function assertFreshKids(state: TenantKeyHierarchy, kids: string[]): void {
  const seen = new Set<string>();
  for (const kid of kids) {
    if (kid.length === 0) throw new ValidationError('A key id must not be empty.');
    if (seen.has(kid) || findKey(state, kid)) throw new ValidationError(`Key id ${kid} is already in use.`);
    seen.add(kid);
  }
}

export function assertNamespaces(keys: NewNamespaceKey[]): void {
  const seen = new Set<string>();
  for (const { namespace } of keys) {
    if (!NAMESPACE_PATTERN.test(namespace)) {
      throw new ValidationError(
        `Namespace '${namespace}' is invalid: use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit.`,
      );
    }
    if (seen.has(namespace)) throw new ValidationError(`Namespace '${namespace}' is given twice.`);
    seen.add(namespace);
  }
}

export function namespaceKeyCreated(key: NewNamespaceKey, parentKid: string, cause: KeyCreated['data']['cause'], now: string): KeyCreated {
  return {
    type: 'KeyCreated',
    data: {
      kid: key.kid,
      keyType: 'tenant-encryption-key',
      state: 'active',
      parentKid,
      namespace: key.namespace,
      fingerprint: key.fingerprint,
      cause,
      occurredAt: now,
    },
  };
}

export function stateChanged(key: KeyRecord, to: KeyState, cause: KeyStateChanged['data']['cause'], now: string): KeyStateChanged {
  assertTransition(key, to);
  return {
    type: 'KeyStateChanged',
    data: { kid: key.kid, keyType: key.type, from: key.state, to, cause, occurredAt: now },
  };
}
