import { parseStreamId, type KeyHierarchyEvent } from '@keyledger/domain';
import type { Commit, StoredEvent } from '@keyledger/event-store';
import { parseIntegrationEvent, SCHEMA_VERSION, type IntegrationEvent } from '@keyledger/events';

/**
 * The integration events a commit publishes. Every event id is the id of the stored event it
 * comes from, so a commit published twice yields the same event ids (consumers dedupe on them).
 * - a tenant stream: one `kms_key_state_changed` per key created or changed;
 * - an activity stream: the recorded events themselves (sapi, fapi, kms_key_management_*).
 * Other domain events (TenantProvisioned, KeysRewrapped, TenantRekeyed) stay internal.
 */
export function integrationEventsFromCommit(commit: Commit): IntegrationEvent[] {
  const stream = parseStreamId(commit.streamId);
  if (stream.kind === 'tenant') {
    return commit.events.flatMap((event) => keyStateEvents(stream.tenant, event as StoredEvent<KeyHierarchyEvent>));
  }
  if (stream.kind === 'activity') {
    return commit.events.map((event) =>
      parseIntegrationEvent(event.type, {
        ...event.data,
        event_id: event.eventId,
        tenant: stream.tenant,
        schema_version: SCHEMA_VERSION,
      }),
    );
  }
  return [];
}

function keyStateEvents(tenant: string, event: StoredEvent<KeyHierarchyEvent>): IntegrationEvent[] {
  const change =
    event.type === 'KeyCreated'
      ? { ...event.data, from: null, to: event.data.state, parentKid: event.data.parentKid, namespace: event.data.namespace }
      : event.type === 'KeyStateChanged'
        ? { ...event.data, parentKid: null, namespace: null }
        : undefined;
  if (!change) return [];
  return [
    {
      detailType: 'kms_key_state_changed',
      detail: {
        event_id: event.eventId,
        tenant,
        occurred_at: change.occurredAt,
        schema_version: SCHEMA_VERSION,
        kid: change.kid,
        key_type: change.keyType,
        from: change.from,
        to: change.to,
        cause: change.cause,
        parent_kid: change.parentKid,
        namespace: change.namespace,
      },
    },
  ];
}
