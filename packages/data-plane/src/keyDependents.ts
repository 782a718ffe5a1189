import type { SecretStore } from './secrets/secretStore';
import type { UsageTracker } from './usage/usageTracker';

/**
 * What depends on a namespace key, from the data plane's stores: the key hierarchy asks before
 * it retires a key, and shows it as the key's usage (the KeyDependents port of key-hierarchy).
 */
export function keyDependents(stores: { secrets: Pick<SecretStore, 'countByKid' | 'isIndexed'>; usage: Pick<UsageTracker, 'usage'> }) {
  return {
    secretVersions: (tenant: string, kid: string) => stores.secrets.countByKid(tenant, kid),
    secretsIndexed: (tenant: string, namespace: string) => stores.secrets.isIndexed({ tenant, namespace }),
    decrypts: (tenant: string, kid: string) => stores.usage.usage(tenant, kid),
  };
}
