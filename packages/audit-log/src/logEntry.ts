import { createHash } from 'node:crypto';
import type { IntegrationEvent } from '@keyledger/events';
import { canonicalEntry, GENESIS_HASH, type HashableEntry, type LogEntry } from './chainRule';
import { verifyChainWith, type ChainHead, type ChainVerification } from './verifyChain';

export * from './chainRule';

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

/** SHA-256 (hex) of the entry's canonical form (chainRule.ts): the rule `keyledger logs verify` and the dashboard check. */
export function entryHash(entry: HashableEntry): string {
  return createHash('sha256').update(canonicalEntry(entry), 'utf8').digest('hex');
}

/** verifyChainWith, hashing with node:crypto. */
export function verifyChain(entries: readonly LogEntry[], head?: ChainHead | null): ChainVerification {
  return verifyChainWith(entries, head, entryHash);
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
    case 'destruction_requested':
    case 'destruction_approved':
    case 'destruction_cancelled':
    case 'destruction_executed':
    case 'destruction_failed': {
      const d = event.detail;
      const step = event.detailType.slice('destruction_'.length);
      return `Destruction request ${d.request_id} (${d.action} ${d.kids.join(', ')}) ${step}: ${d.state}, ${d.approvals.length} of ${d.required_approvals} approvals${d.reason ? ` (${d.reason})` : ''}`;
    }
    case 'job_progress':
      return `Job ${event.detail.job_id} (${event.detail.job_type}) ${event.detail.state}: ${event.detail.done} of ${event.detail.total}`;
    case 'secret_rotated':
      return `Secret ${event.detail.name} (${event.detail.namespace}) rotated on schedule to version ${event.detail.version}`;
    case 'secret_accessed': {
      const d = event.detail;
      const who = [d.client_id && `client ${d.client_id}`, d.subject && `subject ${d.subject}`].filter(Boolean).join(', ') || 'an unnamed caller';
      return `Secret ${d.name} (${d.namespace}) version ${d.version} read ${d.reads} time${d.reads === 1 ? '' : 's'} by ${who}`;
    }
    case 'secret_access_rules_changed':
      return `Secret access rules of ${event.detail.namespace} replaced: ${event.detail.rules.length} rule${event.detail.rules.length === 1 ? '' : 's'}`;
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
