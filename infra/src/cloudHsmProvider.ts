import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { KeyledgerFunction } from './keyledgerFunction';
import { ANY_KMS_KEY_FINDINGS, anyKmsKeyArn } from './keyPolicies';

/** Under CloudFormation's one-hour limit for a custom resource, with room for the last poll. */
export const PROVIDER_TOTAL_TIMEOUT = Duration.minutes(50);

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
  /** onEvent's role: the cluster check, and creating, disconnecting, updating and connecting the key store. */
  readonly onEventRole: Role;
  /** isComplete's role (kms-cloudhsm): waiting for the connection, reconnecting, and the root key. */
  readonly isCompleteRole: Role | undefined;

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
    this.onEventRole = this.handler.role;
    this.isCompleteRole = isComplete?.role;
    // Only onEvent runs the cluster check.
    this.onEventRole.addToPolicy(new PolicyStatement({ actions: ['cloudhsm:DescribeClusters'], resources: ['*'] }));
    this.provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      isCompleteHandler: isComplete?.function,
      queryInterval: props.waitForConnection ? Duration.seconds(30) : undefined,
      // AWS KMS documents up to 20 minutes to connect a key store. CloudFormation gives a custom
      // resource one hour: the waiter must give up before that, so its own error (the store's
      // state and error code) reaches the stack events instead of CloudFormation's timeout.
      totalTimeout: props.waitForConnection ? PROVIDER_TOTAL_TIMEOUT : undefined,
      logGroup: new LogGroup(this, 'FrameworkLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE }),
    });

    for (const role of [this.onEventRole, ...(this.isCompleteRole ? [this.isCompleteRole] : [])]) {
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

/**
 * What the kms-cloudhsm custom resource's handlers call, each on its own role:
 * - onEvent creates the key store (KMS then creates its service-linked role for custom key
 *   stores, on the first store of the account: hence iam:CreateServiceLinkedRole, for that role
 *   only), disconnects a FAILED one, and updates the password of and connects a DISCONNECTED one;
 * - isComplete polls the connection, reconnects a store left DISCONNECTED, and creates the root
 *   key (tagged, so the key actions name only tagged keys) or re-applies its policy.
 */
export function grantKeyStoreResources(scope: Construct, cloudHsm: CloudHsmProvider, keyStoreSecret: ISecret, aliasName: string): void {
  const stack = Stack.of(scope);
  const onEvent = cloudHsm.onEventRole;
  const isComplete = cloudHsm.isCompleteRole!;
  keyStoreSecret.grantRead(onEvent);
  keyStoreSecret.grantRead(isComplete);
  onEvent.addToPolicy(
    new PolicyStatement({
      actions: ['kms:CreateCustomKeyStore', 'kms:DescribeCustomKeyStores', 'kms:DisconnectCustomKeyStore', 'kms:UpdateCustomKeyStore', 'kms:ConnectCustomKeyStore'],
      resources: ['*'],
    }),
  );
  onEvent.addToPolicy(
    new PolicyStatement({
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `aws-service-role/${KEY_STORE_SERVICE}/${KEY_STORE_SERVICE_ROLE}` })],
      conditions: { StringEquals: { 'iam:AWSServiceName': KEY_STORE_SERVICE } },
    }),
  );
  isComplete.addToPolicy(new PolicyStatement({ actions: ['kms:DescribeCustomKeyStores', 'kms:UpdateCustomKeyStore', 'kms:ConnectCustomKeyStore'], resources: ['*'] }));
  isComplete.addToPolicy(
    new PolicyStatement({
      actions: ['kms:CreateKey', 'kms:TagResource'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:KeyOrigin': 'AWS_CLOUDHSM', 'aws:RequestTag/keyledger:role': 'environment-root-key' } },
    }),
  );
  isComplete.addToPolicy(
    new PolicyStatement({
      actions: ['kms:DescribeKey', 'kms:PutKeyPolicy', 'kms:CreateAlias'],
      resources: [anyKmsKeyArn(scope)],
      conditions: { StringEquals: { 'aws:ResourceTag/keyledger:role': 'environment-root-key' } },
    }),
  );
  isComplete.addToPolicy(
    new PolicyStatement({ actions: ['kms:CreateAlias', 'kms:DescribeKey'], resources: [stack.formatArn({ service: 'kms', resource: 'alias', resourceName: aliasName.slice('alias/'.length) })] }),
  );
}

/** AWS KMS's service-linked role for custom key stores (AWS KMS developer guide, "Authorizing AWS KMS to manage AWS CloudHSM"). */
export const KEY_STORE_SERVICE = 'cks.kms.amazonaws.com';
const KEY_STORE_SERVICE_ROLE = 'AWSServiceRoleForKeyManagementServiceCustomKeyStores';
