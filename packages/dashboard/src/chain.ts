/**
 * The audit chain, verified in the browser with the code `keyledger logs verify` runs
 * (@keyledger/audit-log/chain): every entry from the first, page by page, and the chain head the
 * API reports. Only SHA-256 comes from elsewhere: Web Crypto, computed before the walk.
 */
import { canonicalEntry, readWholeChain, verifyChainWith, type ChainVerification, type LogEntry } from '@keyledger/audit-log/chain';
import type { Api } from './api';

const PAGE = 100;

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Beyond this many entries the browser stops and points at `keyledger logs verify`. */
export const MAX_CHAIN_ENTRIES = 50_000;

export async function verifyTenantChain(api: Api, onProgress?: (entries: number) => void): Promise<ChainVerification> {
  const { entries, head } = await readWholeChain(
    async (from, take) => {
      const query = new URLSearchParams({ take: String(take) });
      if (from) query.set('from', from);
      const { body, headers } = await api.exchange<LogEntry[]>('GET', `/api/v2/logs?${query}`);
      return { entries: body, headHeader: headers.get('x-keyledger-chain-head') };
    },
    { pageSize: PAGE, maxEntries: MAX_CHAIN_ENTRIES, onProgress },
  );
  const hashes = new Map<LogEntry, string>();
  await Promise.all(entries.map(async (entry) => hashes.set(entry, await sha256Hex(canonicalEntry(entry)))));
  return verifyChainWith(entries, head, (entry) => hashes.get(entry) ?? '');
}
