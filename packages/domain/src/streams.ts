/**
 * Stream names in the event store. A tenant's key hierarchy is one stream; activity records
 * (API calls, root key store operations) are one-commit streams of their own, so recording
 * them never contends with key commands.
 */
const TENANT_STREAM_PREFIX = 'tenant/';
const ACTIVITY_STREAM_PREFIX = 'activity/';

export const tenantStreamId = (tenant: string) => `${TENANT_STREAM_PREFIX}${tenant}`;
export const activityStreamId = (tenant: string, recordId: string) => `${ACTIVITY_STREAM_PREFIX}${tenant}/${recordId}`;

export type ParsedStreamId = { kind: 'tenant'; tenant: string } | { kind: 'activity'; tenant: string } | { kind: 'other' };

export function parseStreamId(streamId: string): ParsedStreamId {
  if (streamId.startsWith(TENANT_STREAM_PREFIX)) return { kind: 'tenant', tenant: streamId.slice(TENANT_STREAM_PREFIX.length) };
  if (streamId.startsWith(ACTIVITY_STREAM_PREFIX)) {
    const rest = streamId.slice(ACTIVITY_STREAM_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    if (slash > 0) return { kind: 'activity', tenant: rest.slice(0, slash) };
  }
  return { kind: 'other' };
}
