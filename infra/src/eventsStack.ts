import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { EVENT_SOURCE } from '@keyledger/events';
import type { KeyledgerContext } from './config';
import type { DataStack } from './dataStack';
import { deadLetterQueue } from './deadLetterQueue';
import { KeyledgerFunction } from './keyledgerFunction';
import type { ServicesStack } from './servicesStack';

export interface EventsStackProps extends StackProps {
  context: KeyledgerContext;
  data: DataStack;
  services: ServicesStack;
  logRetention: RetentionDays;
}

/**
 * keyledger's bus and the two asynchronous consumers of its events:
 * - the outbox publisher reads the event table's stream and puts each committed event on the
 *   bus; a batch that keeps failing is split down to the failing record, which goes to a
 *   dead-letter queue once its retries are spent (the record stays in the table, so nothing
 *   committed is lost);
 * - a rule sends every keyledger event to the audit projector, with a dead-letter queue for
 *   events EventBridge cannot deliver.
 * The bus archives every keyledger event for replay.
 */
export class EventsStack extends Stack {
  readonly bus: EventBus;
  readonly outboxPublisher: KeyledgerFunction;
  readonly outboxDeadLetters: Queue;
  readonly auditRuleDeadLetters: Queue;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { context, data, services } = props;
    this.bus = new EventBus(this, 'Bus', { eventBusName: `keyledger-${context.stage}` });
    this.bus.archive('Archive', {
      archiveName: `keyledger-${context.stage}`,
      description: 'Every keyledger event, for replay to a new or repaired consumer',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(365),
    });

    this.outboxPublisher = new KeyledgerFunction(this, 'OutboxPublisher', {
      stage: context.stage,
      name: 'outbox-publisher',
      description: 'keyledger outbox: publishes committed events from the event table stream to the bus',
      settings: { eventBusName: this.bus.eventBusName },
      logRetention: props.logRetention,
      timeout: Duration.seconds(60),
    });
    this.bus.grantPutEventsTo(this.outboxPublisher.role);
    this.outboxDeadLetters = deadLetterQueue(this, 'OutboxDeadLetters', 'pointers to event table stream records the outbox could not publish');
    this.outboxPublisher.function.addEventSource(
      new DynamoEventSource(data.tables.events, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.outboxDeadLetters),
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.outboxPublisher.role,
      [{ id: 'AwsSolutions-IAM5', reason: 'dynamodb:ListStreams has no resource-level permission; Lambda\'s event source mapping needs it.', appliesTo: ['Resource::*'] }],
      true,
    );

    this.auditRuleDeadLetters = deadLetterQueue(this, 'AuditRuleDeadLetters', 'keyledger events EventBridge could not deliver to the audit projector');
    new Rule(this, 'AuditProjectorRule', {
      eventBus: this.bus,
      description: 'Every keyledger event to the audit projector',
      eventPattern: { source: [EVENT_SOURCE] },
      targets: [
        new LambdaFunction(services.auditProjectorEvents.function, {
          deadLetterQueue: this.auditRuleDeadLetters,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}
