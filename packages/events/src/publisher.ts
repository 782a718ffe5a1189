import type { IntegrationEvent } from './schemas';

export interface FailedPublication {
  event: IntegrationEvent;
  errorCode: string;
  errorMessage: string;
}

/**
 * Puts events on the bus. Implementations retry what they can; what still failed is returned,
 * never thrown, so a caller (the outbox) can retry exactly those events and nothing else.
 */
export interface EventPublisher {
  publish(events: readonly IntegrationEvent[]): Promise<{ failed: FailedPublication[] }>;
}
