/**
 * The hash chain's rule, with no Node.js dependency, so that the dashboard verifies a chain in the
 * browser with exactly the code `keyledger logs verify` runs (only the SHA-256 differs: node:crypto
 * here, Web Crypto there).
 */
import canonicalize from 'canonicalize';
import type { DetailType } from '@keyledger/events';

/** Links an entry to its predecessor in the tenant's chain. */
export interface LogIntegrity {
  /** 1, 2, 3, ... per tenant, without gaps. */
  sequence: number;
  /** log_id of the entry before this one; null for the first entry. */
  previous_log_id: string | null;
  /** `hash` of the entry before this one; GENESIS_HASH for the first entry. */
  previous_hash: string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of this entry without `integrity.hash`. */
  hash: string;
}

/** A tenant log entry, shaped like an Auth0 log event, plus its link in the hash chain. */
export interface LogEntry {
  log_id: string;
  date: string;
  type: DetailType;
  description: string;
  details: Record<string, unknown>;
  client_id?: string;
  /** API calls: the token subject. */
  user_id?: string;
  ip?: string;
  user_agent?: string;
  tenant_name: string;
  environment_name: string;
  integrity: LogIntegrity;
}

export const GENESIS_HASH = '0'.repeat(64);

export type HashableEntry = Omit<LogEntry, 'integrity'> & { integrity: Omit<LogIntegrity, 'hash'> | LogIntegrity };

/**
 * What an entry's hash covers: the RFC 8785 canonical JSON of the entry without `integrity.hash`.
 * The API's `_id` is not part of it when it repeats `log_id` (so served entries verify as they
 * are); any other `_id` is, so an altered one breaks the chain.
 */
export function canonicalEntry(entry: HashableEntry): string {
  const { hash: _hash, ...link } = entry.integrity as LogIntegrity;
  const { _id: id, ...rest } = entry as typeof entry & { _id?: unknown };
  const canonical = canonicalize({ ...(id === undefined || id === entry.log_id ? rest : entry), integrity: link });
  if (canonical === undefined) throw new Error('A log entry must be canonicalizable JSON.');
  return canonical;
}
