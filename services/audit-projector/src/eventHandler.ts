import type { AuditLogProjector } from '@keyledger/audit-log';
import { parseIntegrationEvent, type BusEvent } from '@keyledger/events';

/**
 * The bus side of audit-projector: one event per call, as an EventBridge rule target (or the
 * in-process bus) delivers it. Throwing makes the bus retry, then dead-letter; a duplicate
 * delivery is a no-op.
 */
export function createAuditEventHandler(options: { projector: AuditLogProjector }) {
  return async function auditEventHandler(event: BusEvent<unknown>): Promise<void> {
    await options.projector.project(parseIntegrationEvent(event['detail-type'], event.detail));
  };
}
