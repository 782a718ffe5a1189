import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { activityStreamId, silentLogger, type Logger } from '@keyledger/domain';
import { StreamVersionConflictError, type EventStore } from '@keyledger/event-store';
import type { RecordedEvent } from '@keyledger/events';

/** What one API request has noted so far; written with the request's sapi/fapi in one commit. */
export interface RequestActivity {
  requestId: string;
  events: RecordedEvent[];
}

/**
 * Records activity — API calls and root key store operations — in the event store, which is the
 * outbox: the publisher takes it to the bus from there like any other commit. Inside a request
 * (`withinRequest`) notes are buffered and written once, with the request's own event, as one
 * commit; outside one they are written at once.
 */
export class ActivityRecorder {
  private readonly requests = new AsyncLocalStorage<RequestActivity>();
  private readonly logger: Logger;
  private readonly newId: () => string;

  constructor(private readonly options: { eventStore: EventStore; logger?: Logger; newId?: () => string }) {
    this.logger = options.logger ?? silentLogger;
    this.newId = options.newId ?? randomUUID;
  }

  /** The request the caller runs in, if any. */
  currentRequest(): RequestActivity | undefined {
    return this.requests.getStore();
  }

  withinRequest<T>(requestId: string, run: (activity: RequestActivity) => Promise<T>): Promise<T> {
    const activity: RequestActivity = { requestId, events: [] };
    return this.requests.run(activity, () => run(activity));
  }

  /** Buffers the event in the current request, or writes it now when there is none. */
  async note(event: RecordedEvent): Promise<void> {
    const request = this.currentRequest();
    if (request) request.events.push(event);
    else await this.record([event]);
  }

  /**
   * Writes events as one commit under a record id of the caller's choosing (one tenant's): the
   * first call with that id writes them, later ones find it taken and write nothing (false).
   * A failure to write is thrown, for the caller to retry.
   */
  async recordOnce(recordId: string, events: readonly RecordedEvent[]): Promise<boolean> {
    const tenant = events[0]!.detail.tenant;
    try {
      await this.options.eventStore.append(activityStreamId(tenant, recordId), 0, events.map((event) => ({ type: event.detailType, data: withoutTenant(event.detail) })));
      return true;
    } catch (error) {
      if (error instanceof StreamVersionConflictError) return false;
      throw error;
    }
  }

  /**
   * Writes events as one commit per tenant. A failure is logged, not thrown: the operation it
   * describes has already happened, and failing the caller would not undo it. With `strict`, it
   * is thrown (an audit record the operation must not go on without).
   */
  async record(events: readonly RecordedEvent[], options: { strict?: boolean } = {}): Promise<void> {
    const byTenant = new Map<string, RecordedEvent[]>();
    for (const event of events) byTenant.set(event.detail.tenant, [...(byTenant.get(event.detail.tenant) ?? []), event]);
    for (const [tenant, tenantEvents] of byTenant) {
      try {
        await this.options.eventStore.append(
          activityStreamId(tenant, this.newId()),
          0,
          tenantEvents.map((event) => ({ type: event.detailType, data: withoutTenant(event.detail) })),
        );
      } catch (error) {
        if (options.strict) throw error;
        this.logger.error('activity not recorded', {
          tenant,
          types: tenantEvents.map((event) => event.detailType),
          error: (error as Error).name,
          message: (error as Error).message,
        });
      }
    }
  }
}

/** The tenant is in the stream id; keeping it once avoids two sources of truth. */
function withoutTenant(detail: RecordedEvent['detail']): object {
  const { tenant: _tenant, ...rest } = detail;
  return rest;
}
