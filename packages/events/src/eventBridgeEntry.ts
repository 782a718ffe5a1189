import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type IntegrationEvent } from './schemas';

/** EventBridge's limit for one entry, and for a whole PutEvents request (256 KB). */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** The event as EventBridge delivers it to rule targets (and the in-process bus to subscribers). */
export interface BusEvent<D = IntegrationEvent['detail']> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: D;
}

export class EventTooLargeError extends Error {
  readonly code = 'event_too_large';
  constructor(eventId: string, bytes: number) {
    super(`Event ${eventId} is ${bytes} bytes; EventBridge accepts at most ${MAX_ENTRY_BYTES}.`);
    this.name = 'EventTooLargeError';
  }
}

/** Entry size as EventBridge computes it (Time counts 14 bytes). */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? '') + Buffer.byteLength(entry.DetailType ?? '');
  size += Buffer.byteLength(entry.Detail ?? '');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource);
  return size;
}

/** The PutEvents entry for one event; refuses an event over EventBridge's limit rather than lose it there. */
export function toPutEventsEntry(event: IntegrationEvent, eventBusName?: string): PutEventsRequestEntry {
  const entry: PutEventsRequestEntry = {
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: new Date(event.detail.occurred_at),
    ...(eventBusName ? { EventBusName: eventBusName } : {}),
  };
  const size = entrySize(entry);
  if (size >= MAX_ENTRY_BYTES) throw new EventTooLargeError(event.detail.event_id, size);
  return entry;
}

/** What a rule target receives for an entry (region and account are the bus's). */
export function toBusEvent(
  event: IntegrationEvent,
  options: { id: string; account?: string; region?: string },
): BusEvent {
  return {
    version: '0',
    id: options.id,
    'detail-type': event.detailType,
    source: EVENT_SOURCE,
    account: options.account ?? '000000000000',
    time: new Date(event.detail.occurred_at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region ?? 'local',
    resources: [],
    detail: event.detail,
  };
}
