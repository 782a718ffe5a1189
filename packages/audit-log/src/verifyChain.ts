import { GENESIS_HASH, type LogEntry } from './chainRule';

export interface ChainHead {
  sequence: number;
  log_id: string;
  hash: string;
}

/** The chain head as the logs API sends it in `x-keyledger-chain-head`: `<sequence>;<log_id>;<hash>`. */
export function parseChainHead(value: string | null | undefined): ChainHead | null {
  if (!value) return null;
  const [sequence, logId, hash] = value.split(';');
  return { sequence: Number(sequence), log_id: logId ?? '', hash: hash ?? '' };
}

/** One page of the logs API by checkpoint (`from`/`take`), with its chain-head header. */
export type ChainPageReader = (from: string | undefined, take: number) => Promise<{ entries: LogEntry[]; headHeader: string | null }>;

/**
 * The whole chain, oldest first, as `keyledger logs verify` and the dashboard read it before
 * verifying: checkpoint pages from the first entry, the head from the first page. Stops with an
 * error past `maxEntries` (a browser should not hold an unbounded log).
 */
export async function readWholeChain(
  readPage: ChainPageReader,
  options: { pageSize?: number; maxEntries?: number; onProgress?: (entries: number) => void } = {},
): Promise<{ entries: LogEntry[]; head: ChainHead | null }> {
  const pageSize = options.pageSize ?? 100;
  const entries: LogEntry[] = [];
  let head: ChainHead | null = null;
  let from: string | undefined;
  for (let first = true; ; first = false) {
    const page = await readPage(from, pageSize);
    if (first) head = parseChainHead(page.headHeader);
    entries.push(...page.entries);
    options.onProgress?.(entries.length);
    if (page.entries.length < pageSize) return { entries, head };
    if (options.maxEntries !== undefined && entries.length >= options.maxEntries) {
      throw new Error(`The log has more than ${options.maxEntries} entries: verify it with \`keyledger logs verify\`.`);
    }
    from = page.entries.at(-1)!.log_id;
  }
}

export type ChainVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; problem: 'edited' | 'deleted' | 'broken_link'; sequence: number; log_id: string | null; message: string };

/**
 * Walks a tenant's chain from its first entry and reports the first broken link: an entry whose
 * content no longer matches its hash (edited), a missing sequence number or a head beyond the
 * last entry (deleted), or an entry that does not point at its predecessor (broken link).
 * `entries` must be the whole chain in sequence order; `head` is the chain head as last written;
 * `hashOf` is SHA-256 (hex) of an entry's canonical form (entryHash in Node.js; the dashboard
 * computes them with Web Crypto first).
 */
export function verifyChainWith(entries: readonly LogEntry[], head: ChainHead | null | undefined, hashOf: (entry: LogEntry) => string): ChainVerification {
  let previous: LogEntry | null = null;
  for (const entry of entries) {
    const expected = (previous?.integrity.sequence ?? 0) + 1;
    const { sequence } = entry.integrity;
    if (sequence > expected) {
      const missing = sequence - expected;
      return {
        ok: false,
        entries: entries.length,
        problem: 'deleted',
        sequence: expected,
        log_id: entry.integrity.previous_log_id,
        message:
          `Entry ${entry.integrity.previous_log_id ?? '(unknown)'} (sequence ${sequence - 1}) was deleted` +
          (missing > 1 ? `, with ${missing - 1} entries before it (from sequence ${expected})` : '') +
          `: entry ${entry.log_id} (sequence ${sequence}) follows it.`,
      };
    }
    if (sequence < expected) {
      return broken(entries, entry, `Entry ${entry.log_id} has sequence ${sequence} where ${expected} was expected.`);
    }
    if (hashOf(entry) !== entry.integrity.hash) {
      return {
        ok: false,
        entries: entries.length,
        problem: 'edited',
        sequence,
        log_id: entry.log_id,
        message: `Entry ${entry.log_id} (sequence ${sequence}) was edited: its content does not match its hash.`,
      };
    }
    const previousHash = previous?.integrity.hash ?? GENESIS_HASH;
    const previousLogId = previous?.log_id ?? null;
    if (entry.integrity.previous_hash !== previousHash || entry.integrity.previous_log_id !== previousLogId) {
      // The predecessor matches its own hash, so it was rewritten whole (content and hash).
      return {
        ok: false,
        entries: entries.length,
        problem: 'edited',
        sequence: sequence - 1,
        log_id: previousLogId,
        message: `Entry ${previousLogId} (sequence ${sequence - 1}) was replaced: entry ${entry.log_id} was chained to a different entry.`,
      };
    }
    previous = entry;
  }
  const last = previous?.integrity.sequence ?? 0;
  if (head && head.sequence > last) {
    return {
      ok: false,
      entries: entries.length,
      problem: 'deleted',
      sequence: last + 1,
      log_id: head.log_id,
      message: `The chain ends at sequence ${last}, but its head records entry ${head.log_id} (sequence ${head.sequence}): entries after ${last} were deleted.`,
    };
  }
  if (head && previous && head.sequence === last && head.hash !== previous.integrity.hash) {
    return {
      ok: false,
      entries: entries.length,
      problem: 'edited',
      sequence: last,
      log_id: previous.log_id,
      message: `Entry ${previous.log_id} (sequence ${last}) was replaced: the chain head records another hash.`,
    };
  }
  return { ok: true, entries: entries.length };
}

function broken(entries: readonly LogEntry[], entry: LogEntry, message: string): ChainVerification {
  return { ok: false, entries: entries.length, problem: 'broken_link', sequence: entry.integrity.sequence, log_id: entry.log_id, message };
}
