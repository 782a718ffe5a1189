/**
 * The audit chain, verified in the browser with the code `keyledger logs verify` runs
 * (@keyledger/audit-log/chain): every entry from the first, page by page, and the chain head the
 * API reports. Only SHA-256 comes from elsewhere: Web Crypto, computed before the walk.
 */
import { canonicalEntry, parseChainHead, verifyChainWith, type ChainHead, type ChainVerification, type LogEntry } from '@keyledger/audit-log/chain';
import type { Api } from './api';

const PAGE = 100;

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export async function verifyTenantChain(api: Api, onProgress?: (entries: number) => void): Promise<ChainVerification> {
  const entries: LogEntry[] = [];
  let head: ChainHead | null = null;
  let from: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ take: String(PAGE) });
    if (from) query.set('from', from);
    const { body, headers } = await api.exchange<LogEntry[]>('GET', `/api/v2/logs?${query}`);
    head ??= parseChainHead(headers.get('x-keyledger-chain-head'));
    entries.push(...body);
    onProgress?.(entries.length);
    if (body.length < PAGE) break;
    from = body.at(-1)!.log_id;
  }
  const hashes = new Map<LogEntry, string>();
  await Promise.all(entries.map(async (entry) => hashes.set(entry, await sha256Hex(canonicalEntry(entry)))));
  return verifyChainWith(entries, head, (entry) => hashes.get(entry) ?? '');
}
