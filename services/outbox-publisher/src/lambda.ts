/**
 * AWS composition root of the outbox publisher: DynamoDB Streams on the event table invoke it,
 * and it puts the integration events on the keyledger bus (batch item failures reported).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '@keyledger/events';
import { jsonLogger } from '@keyledger/http';
import { CommitPublisher, createOutboxStreamHandler } from '@keyledger/outbox';
import { readSettings, type Environment } from '@keyledger/settings';

export function createOutboxLambda(env: Environment) {
  const settings = readSettings(['eventBusName'], env);
  const logger = jsonLogger({ service: 'outbox-publisher' });
  const publisher = new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: settings.eventBusName, logger });
  // Lambda sets AWS_REGION: in a multi-Region deployment each Region publishes only the commits made in it.
  return createOutboxStreamHandler({ commits: new CommitPublisher({ publisher, logger }), logger, region: env['AWS_REGION'] });
}

export const handler = createOutboxLambda(process.env);
