import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule, RuleTargetInput, Schedule, type EventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { MANUAL_JOB_PATTERN, REKEY_PATTERN } from '@keyledger/crypto-data-plane/jobs';
import { EVENT_SOURCE, type EventPattern as BusPattern } from '@keyledger/events';
import type { KeyledgerContext } from './config';
import type { TableSet } from './tableAccess';
import { deadLetterQueue } from './deadLetterQueue';
import { KeyledgerFunction } from './keyledgerFunction';
import type { ServicesStack } from './servicesStack';

export interface EventsStackProps extends StackProps {
  context: KeyledgerContext;
  data: TableSet;
  services: ServicesStack;
  logRetention: RetentionDays;
}

/**
 * keyledger's bus and the two asynchronous consumers of its events:
 * - the outbox publisher reads the event table's stream and puts each committed event on the
 *   bus; a batch that keeps failing is split down to the failing record, which goes to a
 *   dead-letter queue once its retries are spent (the record stays in the table, so nothing
 *   committed is lost);
 * - the destruction ledger's writer reads the same stream and records every destroying commit
 *   (this Region's and the ones replicated to it) in the Region's ledger bucket, with the same
 *   retries and a dead-letter queue of its own;
 * - a rule sends every keyledger event to the audit projector, with a dead-letter queue for
 *   events EventBridge cannot deliver;
 * - rules start the re-encryption job of each rekey and each job started by a call, and two
 *   schedules resume jobs whose runner stopped (every 5 minutes) and apply tenants' retention
 *   settings (hourly), with a dead-letter queue of their own; a one-minute schedule rotates the
 *   secrets whose scheduled rotation is due (a run that fails is made up by the next).
 * The bus archives every keyledger event for replay.
 */
export class EventsStack extends Stack {
  readonly bus: EventBus;
  readonly outboxPublisher: KeyledgerFunction;
  readonly outboxDeadLetters: Queue;
  readonly ledgerWriter: KeyledgerFunction;
  readonly ledgerRebuild: KeyledgerFunction;
  readonly ledgerDeadLetters: Queue;
  readonly auditRuleDeadLetters: Queue;
  readonly maintenanceRuleDeadLetters: Queue;

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
    this.outboxPublisher.function.addEventSource(eventTableStream(data, this.outboxDeadLetters, 10));

    this.ledgerWriter = new KeyledgerFunction(this, 'DestructionLedgerWriter', {
      stage: context.stage,
      name: 'destruction-ledger',
      description: 'keyledger destruction ledger: records destroying commits from the event table stream in the ledger bucket (S3, Object Lock)',
      settings: {},
      logRetention: props.logRetention,
      timeout: Duration.seconds(60),
    });
    data.ledger.grantRecord(this.ledgerWriter);
    this.ledgerDeadLetters = deadLetterQueue(this, 'LedgerDeadLetters', 'pointers to event table stream records the destruction ledger could not record');
    // Until the record leaves the stream (24 hours): a destruction is not skipped while S3 can still take it.
    this.ledgerWriter.function.addEventSource(eventTableStream(data, this.ledgerDeadLetters, -1));
    // keyledger backup rebuild-ledger: the destroying commits of the table, page by page (after the first deploy, after a dead letter).
    this.ledgerRebuild = new KeyledgerFunction(this, 'DestructionLedgerRebuild', {
      stage: context.stage,
      name: 'destruction-ledger',
      handler: 'rebuildHandler',
      description: 'keyledger destruction ledger: writes the destroying commits of one page of the event table to the ledger (keyledger backup rebuild-ledger)',
      settings: { eventsTable: data.tables.events.tableName },
      logRetention: props.logRetention,
      timeout: Duration.minutes(5),
    });
    data.grantTable(this.ledgerRebuild.role, 'events', ['Scan']);
    data.ledger.grantRecord(this.ledgerRebuild);
    for (const fn of [this.outboxPublisher, this.ledgerWriter]) {
      NagSuppressions.addResourceSuppressions(
        fn.role,
        [{ id: 'AwsSolutions-IAM5', reason: 'dynamodb:ListStreams has no resource-level permission; Lambda\'s event source mapping needs it.', appliesTo: ['Resource::*'] }],
        true,
      );
    }

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

    this.maintenanceRuleDeadLetters = deadLetterQueue(this, 'MaintenanceRuleDeadLetters', 'job and retention triggers EventBridge could not deliver (the schedules make up for them)');
    const maintenanceTarget = (fn: KeyledgerFunction) =>
      new LambdaFunction(fn.function, { deadLetterQueue: this.maintenanceRuleDeadLetters, retryAttempts: 8, maxEventAge: Duration.hours(6) });
    for (const [id, pattern, description] of [
      ['RekeyJobsRule', REKEY_PATTERN, "A rekey's new TMK: start the re-encryption of the tenant's stored secrets"],
      ['ManualJobsRule', MANUAL_JOB_PATTERN, 'A re-encryption job started by a call: run it'],
    ] as const) {
      new Rule(this, id, { eventBus: this.bus, description, eventPattern: toCdkPattern(pattern), targets: [maintenanceTarget(services.cryptoDataPlaneJobs)] });
    }
    // Schedules live on the default bus (EventBridge runs scheduled rules only there).
    new Rule(this, 'JobsSchedule', {
      description: 'Resume re-encryption jobs whose runner stopped (a timeout, a crash)',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [maintenanceTarget(services.cryptoDataPlaneJobs)],
    });
    new Rule(this, 'RotationSchedule', {
      description: 'Rotate the secrets whose scheduled rotation is due (each due time once)',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaFunction(services.cryptoDataPlaneJobs.function, {
          event: RuleTargetInput.fromObject({ pass: 'rotations' }),
          deadLetterQueue: this.maintenanceRuleDeadLetters,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
        }),
      ],
    });
    new Rule(this, 'RetentionSchedule', {
      description: "Execute due destruction requests, then retire quiet, unused deactivated keys where tenants' retention settings ask for it",
      // Destruction requests execute within this long of their time.
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [maintenanceTarget(services.keyAdminRetention)],
    });
  }
}

/**
 * The Events table's stream as a consumer reads it: from its oldest record, in batches split down
 * to the failing record, which is retried `retryAttempts` times (-1: until it leaves the stream)
 * before a pointer to it goes to the dead-letter queue.
 */
function eventTableStream(data: TableSet, deadLetters: Queue, retryAttempts: number): DynamoEventSource {
  return new DynamoEventSource(data.tables.events, {
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    retryAttempts,
    onFailure: new SqsDlq(deadLetters),
  });
}

/** A bus pattern (EventBridge's JSON names) as the CDK spells it. */
function toCdkPattern(pattern: BusPattern): EventPattern {
  const { source, 'detail-type': detailType, detail } = pattern as { source: string[]; 'detail-type': string[]; detail: Record<string, unknown> };
  return { source, detailType, detail };
}
