import { KeyledgerError, silentLogger, type Logger } from '@keyledger/domain';
import type { IntegrationEvent } from '@keyledger/events';
import type { DynamoDbAuditLogStore } from './auditLogStore';
import { toLogEntry, type LogEntry } from './logEntry';

/** Another delivery of the same event is being projected right now; retry later. */
export class ProjectionInProgressError extends KeyledgerError {
  constructor(eventId: string) {
    super('projection_in_progress', `Event ${eventId} is being projected by another delivery.`);
  }
}

export interface AuditLogProjectorOptions {
  store: DynamoDbAuditLogStore;
  /** `environment_name` of every entry (Auth0: the deployment's environment, e.g. prod-eu-1). */
  environmentName: string;
  clock?: () => Date;
  /** How long a claim on an event holds before another delivery may take it over. */
  leaseMs?: number;
  maxAppendAttempts?: number;
  logger?: Logger;
}

/**
 * Turns events into tenant log entries, exactly once per event id although delivery is at least
 * once: an idempotency marker per event is claimed (with a lease) before the entry is appended
 * and completed after. A delivery that finds an expired claim first looks for the entry the
 * crashed delivery may have appended, so a crash at any point yields one entry, never two.
 * Entries are appended at the next free sequence with a conditional write, each carrying the hash
 * of its predecessor.
 */
export class AuditLogProjector {
  private readonly clock: () => Date;
  private readonly leaseMs: number;
  private readonly maxAppendAttempts: number;
  private readonly logger: Logger;

  constructor(private readonly options: AuditLogProjectorOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxAppendAttempts = options.maxAppendAttempts ?? 20;
    this.logger = options.logger ?? silentLogger;
  }

  async project(event: IntegrationEvent): Promise<{ outcome: 'appended' | 'duplicate'; logId: string }> {
    const { store } = this.options;
    const { tenant, event_id: eventId } = event.detail;
    const marker = await store.getMarker(tenant, eventId);
    if (marker?.status === 'done') return { outcome: 'duplicate', logId: marker.logId ?? '' };
    const now = this.clock().getTime();
    if (marker && marker.leaseUntil > now) throw new ProjectionInProgressError(eventId);

    const last = await store.lastEntry(tenant);
    const claimed = await store.claimMarker(
      tenant,
      eventId,
      { leaseUntil: now + this.leaseMs, afterSequence: last?.integrity.sequence ?? 0 },
      marker,
    );
    if (!claimed) throw new ProjectionInProgressError(eventId);

    if (marker) {
      const existing = await this.findEntry(tenant, eventId, marker.afterSequence);
      if (existing) {
        await store.completeMarker(tenant, eventId, existing.log_id);
        return { outcome: 'duplicate', logId: existing.log_id };
      }
    }
    const entry = await this.append(event, last);
    await store.advanceHead(tenant, { sequence: entry.integrity.sequence, log_id: entry.log_id, hash: entry.integrity.hash });
    await store.completeMarker(tenant, eventId, entry.log_id);
    return { outcome: 'appended', logId: entry.log_id };
  }

  private async append(event: IntegrationEvent, knownLast: LogEntry | undefined): Promise<LogEntry> {
    const { tenant } = event.detail;
    let last = knownLast;
    for (let attempt = 1; attempt <= this.maxAppendAttempts; attempt += 1) {
      const previous = last ? { log_id: last.log_id, hash: last.integrity.hash } : null;
      const entry = toLogEntry(event, { sequence: (last?.integrity.sequence ?? 0) + 1, previous }, this.options.environmentName);
      if (await this.options.store.putEntry(tenant, entry)) return entry;
      // Another event of this tenant took the sequence: chain after it.
      last = await this.options.store.lastEntry(tenant);
    }
    this.logger.warn('audit log append kept losing races', { tenant, attempts: this.maxAppendAttempts });
    throw new ProjectionInProgressError(event.detail.event_id);
  }

  private async findEntry(tenant: string, eventId: string, afterSequence: number): Promise<LogEntry | undefined> {
    for await (const entry of this.options.store.entries(tenant, { ascending: true, afterSequence })) {
      if (entry.details['event_id'] === eventId) return entry;
    }
    return undefined;
  }
}
