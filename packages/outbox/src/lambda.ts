/**
 * AWS composition root of the outbox publisher: DynamoDB Streams on the event table invoke it,
 * and it puts the integration events on the keyledger bus (batch item failures reported).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '@keyledger/events';
import { jsonLogger } from '@keyledger/http';
import { parseConfig } from '@keyledger/key-hierarchy';
import { z } from 'zod';
import { CommitPublisher } from './commitPublisher';
import { createOutboxStreamHandler } from './streamHandler';

const configSchema = z.object({ KEYLEDGER_EVENT_BUS_NAME: z.string().min(1) });

export function createOutboxLambda(env: Record<string, string | undefined>) {
  const config = parseConfig(configSchema, env);
  const logger = jsonLogger({ service: 'outbox-publisher' });
  const publisher = new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: config.KEYLEDGER_EVENT_BUS_NAME, logger });
  return createOutboxStreamHandler({ commits: new CommitPublisher({ publisher, logger }), logger });
}

export const handler = createOutboxLambda(process.env);
