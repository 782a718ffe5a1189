import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ApiStack } from './apiStack';
import type { EventsStack } from './eventsStack';
import type { ServicesStack } from './servicesStack';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import type { KeyledgerContext } from './config';
import type { KeyledgerFunction } from './keyledgerFunction';
import { keyAdministration } from './keyPolicies';

export interface ObservabilityStackProps extends StackProps {
  context: KeyledgerContext;
  functions: Record<string, KeyledgerFunction>;
  deadLetterQueues: Record<string, IQueue>;
  /** The event table stream's consumers, by name: each alarms when it falls behind. */
  streamConsumers: Record<string, KeyledgerFunction>;
  api: HttpApi;
}

/** What the alarms watch in one Region: every function, dead-letter queue, the outbox and the API. */
export function observed(services: ServicesStack, events: EventsStack, api: ApiStack): Pick<ObservabilityStackProps, 'functions' | 'deadLetterQueues' | 'streamConsumers' | 'api'> {
  return {
    functions: {
      'key-admin': services.keyAdmin,
      'key-admin-retention': services.keyAdminRetention,
      'crypto-data-plane': services.cryptoDataPlane,
      'crypto-data-plane-jobs': services.cryptoDataPlaneJobs,
      'audit-projector': services.auditProjector,
      'audit-projector-events': services.auditProjectorEvents,
      'outbox-publisher': events.outboxPublisher,
      'destruction-ledger': events.ledgerWriter,
      'destruction-ledger-rebuild': events.ledgerRebuild,
      'destruction-ledger-read': services.ledgerReader,
      'ledger-reapply': services.ledgerReapply,
    },
    deadLetterQueues: {
      'outbox-dlq': events.outboxDeadLetters,
      'destruction-ledger-dlq': events.ledgerDeadLetters,
      'audit-rule-dlq': events.auditRuleDeadLetters,
      'audit-projector-dlq': services.auditProjectorDeadLetters,
      'maintenance-dlq': services.maintenanceDeadLetters,
      'maintenance-rule-dlq': events.maintenanceRuleDeadLetters,
    },
    streamConsumers: { outbox: events.outboxPublisher, 'destruction-ledger': events.ledgerWriter },
    api: api.api,
  };
}

/**
 * Alarms an operator acts on, sent to the alarm topic (the one named by `alarmTopicArn`, or an
 * encrypted one made here): any function error or throttle, anything in a dead-letter queue,
 * the outbox or the destruction ledger falling behind the event table (iterator age), and API
 * 5xx responses.
 */
export class ObservabilityStack extends Stack {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { context } = props;
    this.topic = context.alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', context.alarmTopicArn) : this.createTopic(context);
    const action = new SnsAction(this.topic);
    const alarm = (name: string, description: string, metric: IMetric, threshold: number) => {
      const created = new Alarm(this, name, {
        alarmName: `keyledger-${context.stage}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
    };
    const fiveMinutes = { period: Duration.minutes(5) };

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}-errors`, `${fn.function.functionName} returned errors`, fn.function.metricErrors({ ...fiveMinutes, statistic: 'Sum' }), 1);
      alarm(`${name}-throttles`, `${fn.function.functionName} was throttled`, fn.function.metricThrottles({ ...fiveMinutes, statistic: 'Sum' }), 1);
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}-dead-letters`,
        `Messages are waiting in ${name}: inspect, fix, and redrive them`,
        queue.metricApproximateNumberOfMessagesVisible({ ...fiveMinutes, statistic: 'Maximum' }),
        1,
      );
    }
    const behind: Record<string, string> = { outbox: 'events reach the bus late', 'destruction-ledger': 'destructions reach the destruction ledger late' };
    for (const [name, fn] of Object.entries(props.streamConsumers)) {
      alarm(
        `${name}-iterator-age`,
        `${fn.function.functionName} is more than a minute behind the event table: ${behind[name] ?? 'it is late'}`,
        fn.function.metric('IteratorAge', { ...fiveMinutes, statistic: 'Maximum' }),
        60_000,
      );
    }
    alarm('api-5xx', 'The API answered with server errors', props.api.metricServerError({ ...fiveMinutes, statistic: 'Sum' }), 5);
  }

  /** An SNS topic encrypted with its own key, which CloudWatch may use to publish alarms. */
  private createTopic(context: KeyledgerContext): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: `keyledger ${context.stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
      // Kept with the stack's history (alarm messages it encrypted), but not when the first create rolls back.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      policy: new PolicyDocument({
        statements: [
          keyAdministration(),
          new PolicyStatement({
            sid: 'CloudWatchPublishesAlarms',
            principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
          }),
        ],
      }),
    });
    const topic = new Topic(this, 'AlarmTopic', { topicName: `keyledger-${context.stage}-alarms`, masterKey: key, enforceSSL: true });
    // enforceSSL gives the topic a policy of its own, so CloudWatch's right to publish is spelled out.
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchPublishesAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    if (context.alarmEmail) topic.addSubscription(new EmailSubscription(context.alarmEmail));
    return topic;
  }
}
