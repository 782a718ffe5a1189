import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '@keyledger/domain';
import { toBusEvent, type BusEvent } from './eventBridgeEntry';
import { matchesPattern, parseEventPattern, type EventPattern } from './eventPattern';
import type { EventPublisher, FailedPublication } from './publisher';
import type { IntegrationEvent } from './schemas';

export type BusSubscriber = (event: BusEvent) => Promise<void> | void;

interface Subscription {
  name: string;
  pattern: EventPattern;
  handler: BusSubscriber;
}

/**
 * The local bus: EventBridge-shaped events delivered to subscribers whose rule pattern matches.
 * Delivery is synchronous: `publish` resolves once every matching subscriber has handled the
 * event, and reports the event as failed if one of them threw. Unlike EventBridge it keeps
 * nothing, so the outbox must not move its checkpoint past an event until it was delivered.
 */
export class InProcessBus implements EventPublisher {
  private readonly subscriptions: Subscription[] = [];
  private readonly logger: Logger;

  constructor(options: { logger?: Logger } = {}) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Registers a rule; returns a function that removes it. */
  subscribe(name: string, pattern: EventPattern, handler: BusSubscriber): () => void {
    const subscription = { name, pattern: parseEventPattern(pattern), handler };
    this.subscriptions.push(subscription);
    return () => {
      const index = this.subscriptions.indexOf(subscription);
      if (index >= 0) this.subscriptions.splice(index, 1);
    };
  }

  async publish(events: readonly IntegrationEvent[]): Promise<{ failed: FailedPublication[] }> {
    const failed: FailedPublication[] = [];
    for (const event of events) {
      const busEvent = toBusEvent(event, { id: randomUUID() });
      for (const subscription of this.subscriptions) {
        if (!matchesPattern(subscription.pattern, busEvent)) continue;
        try {
          await subscription.handler(busEvent);
        } catch (error) {
          this.logger.warn('bus subscriber failed', { rule: subscription.name, eventId: event.detail.event_id, error: String(error) });
          failed.push({ event, errorCode: 'SubscriberFailed', errorMessage: `Rule ${subscription.name}: ${(error as Error).message}` });
          break;
        }
      }
    }
    return { failed };
  }
}
