import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { DetailType, IntegrationEvent } from '@keyledger/events';

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
const LOG_ID = /^(\d{20})[0-9a-f]{32}$/;
/** What a log_id looks like: its 20-digit sequence, then the event id in hex. */
export const LOG_ID_PATTERN = LOG_ID;

/** Log ids sort like the chain: a zero-padded sequence, then the event id (hex). */
export function logIdFor(sequence: number, eventId: string): string {
  return `${String(sequence).padStart(20, '0')}${eventId.replace(/-/g, '').toLowerCase()}`;
}

export function sequenceOfLogId(logId: string): number | undefined {
  const match = LOG_ID.exec(logId);
  return match ? Number(match[1]) : undefined;
}

/** An entry as the API serves it: with Auth0's `_id`, the same value as `log_id`. */
export const withAuth0Id = <E extends { log_id?: string }>(entry: E): E & { _id?: string } =>
  entry.log_id === undefined ? entry : { _id: entry.log_id, ...entry };

/**
 * SHA-256 of the entry's canonical JSON without `integrity.hash`. The API's `_id` is not part of
 * it when it repeats `log_id` (so served entries verify as they are); any other `_id` is, so an
 * altered one breaks the chain.
 */
export function entryHash(entry: Omit<LogEntry, 'integrity'> & { integrity: Omit<LogIntegrity, 'hash'> | LogIntegrity }): string {
  const { hash: _hash, ...link } = entry.integrity as LogIntegrity;
  const { _id: id, ...rest } = entry as typeof entry & { _id?: unknown };
  const canonical = canonicalize({ ...(id === undefined || id === entry.log_id ? rest : entry), integrity: link });
  if (canonical === undefined) throw new Error('A log entry must be canonicalizable JSON.');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function describe(event: IntegrationEvent): string {
  switch (event.detailType) {
    case 'kms_key_state_changed': {
      const d = event.detail;
      return d.from === null
        ? `Key ${d.kid} (${d.key_type}) created ${d.to} (${d.cause})`
        : `Key ${d.kid} (${d.key_type}) changed from ${d.from} to ${d.to} (${d.cause})`;
    }
    case 'kms_key_management_success':
      return `Root key store ${event.detail.operation} succeeded (${event.detail.key_store})`;
    case 'kms_key_management_failure':
      return `Root key store ${event.detail.operation} failed: ${event.detail.reason} (${event.detail.key_store})`;
    case 'sapi':
      return event.detail.operation;
    case 'fapi':
      return `${event.detail.operation} failed: ${event.detail.status}${event.detail.error_code ? ` ${event.detail.error_code}` : ''}`;
    case 'job_progress':
      return `Job ${event.detail.job_id} (${event.detail.job_type}) ${event.detail.state}: ${event.detail.done} of ${event.detail.total}`;
  }
}

/** The entry an event becomes at a given place in its tenant's chain. */
export function toLogEntry(
  event: IntegrationEvent,
  link: { sequence: number; previous: { log_id: string; hash: string } | null },
  environmentName: string,
): LogEntry {
  const { tenant, occurred_at, schema_version: _version, ...details } = event.detail;
  const caller =
    event.detailType === 'sapi' || event.detailType === 'fapi'
      ? {
          ...(event.detail.actor.client_id ? { client_id: event.detail.actor.client_id } : {}),
          ...(event.detail.actor.sub ? { user_id: event.detail.actor.sub } : {}),
          ...(event.detail.ip ? { ip: event.detail.ip } : {}),
          ...(event.detail.user_agent ? { user_agent: event.detail.user_agent } : {}),
        }
      : {};
  const entry = {
    log_id: logIdFor(link.sequence, event.detail.event_id),
    date: occurred_at,
    type: event.detailType,
    description: describe(event),
    details,
    ...caller,
    tenant_name: tenant,
    environment_name: environmentName,
    integrity: {
      sequence: link.sequence,
      previous_log_id: link.previous?.log_id ?? null,
      previous_hash: link.previous?.hash ?? GENESIS_HASH,
    },
  };
  return { ...entry, integrity: { ...entry.integrity, hash: entryHash(entry) } };
}
