import type { OaepHash } from '@keyledger/crypto';
import { assertCanIssueWrappingKey, decide, IllegalKeyStateError } from '@keyledger/domain';
import { assertWrappingProfile, type IssuedWrappingKey } from '@keyledger/root-key-store';
import type { HierarchyContext } from '../context';
import { ensureProvisioned } from './provision';

export interface WrappingKeyResult extends Pick<IssuedWrappingKey, 'publicKeyPem' | 'oaepHash' | 'expiresAt'> {
  kid: string;
}

/**
 * BYOK step 2: a fresh RSA-3072 wrapping key whose private half stays in the root key store,
 * good for one import within 24 hours. A new one replaces the previous one.
 */
export async function issueWrappingKey(ctx: HierarchyContext, tenant: string, kid: string, oaepHash?: OaepHash): Promise<WrappingKeyResult> {
  assertCanIssueWrappingKey((await ensureProvisioned(ctx, tenant)).state, kid);
  const store = ctx.rootKeyStore;
  const hash = oaepHash ?? store.wrappingProfiles[0];
  if (!hash) throw new IllegalKeyStateError(`The ${store.kind} root key store cannot import keys.`);
  assertWrappingProfile(store, hash);
  const { importToken, wrappingKeyId, publicKeyPem, expiresAt } = await store.createWrappingKey({ tenant, kid, oaepHash: hash });
  await ctx.execute(tenant, async ({ state }) => {
    const now = ctx.now();
    const wrappingKey = { wrappingKeyId, publicKeyPem, oaepHash: hash, importToken, issuedAt: now, expiresAt };
    return { events: decide({ type: 'IssueWrappingKey', data: { kid, wrappingKey, now } }, state), result: null };
  });
  ctx.logger.info('wrapping key issued', { tenant, kid, wrappingKeyId, oaepHash: hash, expiresAt });
  return { kid, publicKeyPem, oaepHash: hash, expiresAt };
}
