import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { KeyledgerFunction } from './keyledgerFunction';
import { ANY_KMS_KEY_FINDINGS } from './keyPolicies';

export interface CloudHsmProviderProps {
  stage: string;
  logRetention: RetentionDays;
  /** Poll for the custom key store's connection (kms-cloudhsm); the cluster check alone needs no polling. */
  waitForConnection: boolean;
}

/**
 * The Provider framework around packages/root-key-store's CloudHSM custom resources. Its
 * handler may describe CloudHSM clusters (no resource-level permissions exist for that);
 * the key store and root key permissions are added by the keys stack when it uses them.
 */
export class CloudHsmProvider extends Construct {
  readonly provider: Provider;
  readonly handler: KeyledgerFunction;
  /** The roles of our handlers (onEvent, and isComplete when waiting). */
  readonly roles: Role[];

  constructor(scope: Construct, id: string, props: CloudHsmProviderProps) {
    super(scope, id);
    const common = { stage: props.stage, name: 'cloudhsm-resources' as const, logRetention: props.logRetention, settings: {}, timeout: Duration.minutes(2) };
    this.handler = new KeyledgerFunction(this, 'OnEvent', {
      ...common,
      handler: 'onEvent',
      description: 'keyledger CloudHSM custom resources: cluster check, custom key store and root key',
    });
    let isComplete: KeyledgerFunction | undefined;
    if (props.waitForConnection) {
      isComplete = new KeyledgerFunction(this, 'IsComplete', {
        ...common,
        handler: 'isComplete',
        description: 'keyledger CloudHSM custom resources: waits for the custom key store to connect, then makes the root key',
      });
    }
    this.roles = isComplete ? [this.handler.role, isComplete.role] : [this.handler.role];
    for (const role of this.roles) role.addToPolicy(new PolicyStatement({ actions: ['cloudhsm:DescribeClusters'], resources: ['*'] }));
    this.provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      isCompleteHandler: isComplete?.function,
      queryInterval: props.waitForConnection ? Duration.seconds(30) : undefined,
      // AWS KMS documents up to 20 minutes to connect a key store; leave room for retries.
      totalTimeout: props.waitForConnection ? Duration.minutes(60) : undefined,
      logGroup: new LogGroup(this, 'FrameworkLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN }),
    });

    for (const role of this.roles) {
      NagSuppressions.addResourceSuppressions(
        role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'cloudhsm:DescribeClusters and the KMS custom key store actions have no resource-level permissions; ' +
              'the root key actions are limited to keys tagged keyledger:role=environment-root-key.',
            appliesTo: ANY_KMS_KEY_FINDINGS,
          },
        ],
        true,
      );
    }
    NagSuppressions.addResourceSuppressions(
      this.provider,
      [
        { id: 'AwsSolutions-IAM4', reason: 'The CDK Provider framework\'s own functions use the AWS managed basic execution policy; they only invoke our handlers.' },
        { id: 'AwsSolutions-IAM5', reason: 'The CDK Provider framework may invoke any version of our handler functions (function ARN with :*).' },
        { id: 'AwsSolutions-L1', reason: 'The CDK Provider framework chooses its own functions\' runtime.' },
        { id: 'AwsSolutions-SF1', reason: 'The Provider framework\'s waiter state machine only polls isComplete; its steps are logged by the functions it calls.' },
        { id: 'AwsSolutions-SF2', reason: 'The Provider framework\'s waiter state machine is a deploy-time poller; X-Ray adds nothing there.' },
      ],
      true,
    );
  }
}
