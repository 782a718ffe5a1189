import { randomUUID } from 'node:crypto';
import type { IntegrationEvent } from './schemas';

/** Test helper: a valid kms_key_state_changed event. */
export function keyStateChanged(overrides: Partial<Extract<IntegrationEvent, { detailType: 'kms_key_state_changed' }>['detail']> = {}): IntegrationEvent {
  return {
    detailType: 'kms_key_state_changed',
    detail: {
      event_id: randomUUID(),
      tenant: 'acme',
      occurred_at: '2026-11-23T10:00:00.000Z',
      schema_version: 1,
      kid: randomUUID(),
      key_type: 'tenant-master-key',
      from: 'active',
      to: 'destroyed',
      cause: 'rekey',
      parent_kid: null,
      namespace: null,
      ...overrides,
    },
  };
}
