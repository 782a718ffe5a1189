import { parseStreamId, type KeyHierarchyEvent } from '@keyledger/domain';
import type { Commit, StoredEvent } from '@keyledger/event-store';
import { parseIntegrationEvent, SCHEMA_VERSION, type IntegrationEvent } from '@keyledger/events';

/**
 * The integration events a commit publishes. Every event id is the id of the stored event it
 * comes from, so a commit published twice yields the same event ids (consumers dedupe on them).
 * - a tenant stream: one `kms_key_state_changed` per key created or changed, and one
 *   `destruction_*` per step of a destruction request;
 * - an activity stream: the recorded events themselves (sapi, fapi, kms_key_management_*).
 * Other domain events (TenantProvisioned, KeysRewrapped, TenantRekeyed) stay internal.
 */
export function integrationEventsFromCommit(commit: Commit): IntegrationEvent[] {
  const stream = parseStreamId(commit.streamId);
  if (stream.kind === 'tenant') {
    return commit.events.flatMap((event) => [
      ...keyStateEvents(stream.tenant, event as StoredEvent<KeyHierarchyEvent>),
      ...destructionEvents(stream.tenant, event as StoredEvent<KeyHierarchyEvent>),
    ]);
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

const FINISHED_TYPES = { executed: 'destruction_executed', failed: 'destruction_failed', cancelled: 'destruction_cancelled', expired: 'destruction_cancelled' } as const;

/** The destruction request steps: destruction_requested / _approved / _cancelled / _executed / _failed. */
function destructionEvents(tenant: string, event: StoredEvent<KeyHierarchyEvent>): IntegrationEvent[] {
  if (event.type !== 'DestructionRequested' && event.type !== 'DestructionApproved' && event.type !== 'DestructionFinished') return [];
  const { request, occurredAt } = event.data;
  const detailType =
    event.type === 'DestructionRequested'
      ? 'destruction_requested'
      : event.type === 'DestructionApproved'
        ? 'destruction_approved'
        : FINISHED_TYPES[request.state as keyof typeof FINISHED_TYPES];
  if (!detailType) return [];
  return [
    parseIntegrationEvent(detailType, {
      event_id: event.eventId,
      tenant,
      occurred_at: occurredAt,
      schema_version: SCHEMA_VERSION,
      request_id: request.id,
      action: request.action,
      kids: request.kids,
      state: request.state,
      requested_by: { sub: request.requestedBy.sub, client_id: request.requestedBy.clientId },
      approvals: request.approvals,
      required_approvals: request.requiredApprovals,
      scheduled_for: request.scheduledFor,
      expires_at: request.expiresAt,
      reason: request.reason ?? null,
    }),
  ];
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
