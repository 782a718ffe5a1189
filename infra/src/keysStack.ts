import { Annotations, CustomResource, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias, Key } from 'aws-cdk-lib/aws-kms';
import { LayerVersion, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { NagSuppressions } from 'cdk-nag';
import { CLOUDHSM_PKCS11_LIBRARY } from '@keyledger/settings';
import type { Construct } from 'constructs';
import { CloudHsmProvider, grantKeyStoreResources } from './cloudHsmProvider';
import { secretNames, type KeyledgerContext } from './config';
import { keyAdministration, rootKeyDescribe, rootKeyUse, useThroughDynamoDb } from './keyPolicies';
import { addSettings, type KeyledgerFunction } from './keyledgerFunction';
import { attachKmsRootKey, type CustomerKeyAccess, type RootKeyAccess } from './rootKeyAccess';

export interface KeysStackProps extends StackProps {
  context: KeyledgerContext;
  logRetention: RetentionDays;
}

export type { CustomerKeyAccess } from './rootKeyAccess';

/**
 * The environment root key, by `rootKeyMode`:
 * - kms: a symmetric KMS key with yearly rotation and a key policy that lets only this stage's
 *   function roles wrap and unwrap (with a tenant in the encryption context), or the key named
 *   by `rootKeyArn`;
 * - kms-cloudhsm: the same policy, on a key in an AWS KMS custom key store on the CloudHSM
 *   cluster, which a custom resource checks, creates, connects and fills;
 * - pkcs11: the key lives in the CloudHSM cluster itself; a custom resource checks the cluster
 *   and finds its VPC, and the functions run there with the crypto user's PIN from Secrets
 *   Manager and CloudHSM's PKCS#11 library from a layer.
 */
export class KeysStack extends Stack implements RootKeyAccess {
  readonly rootKeyArn: string | undefined;
  /** Multi-Region only: the tables' multi-Region key (single-Region deployments keep it in the data stack). */
  readonly tableKey: Key | undefined;
  private readonly context: KeyledgerContext;
  private readonly pkcs11: { subnetIds: string; securityGroupId: string; pinSecret: ISecret } | undefined;

  constructor(scope: Construct, id: string, props: KeysStackProps) {
    super(scope, id, props);
    const { context } = props;
    this.context = context;
    const description = `keyledger ${context.stage} environment root key`;
    const rootKeyPolicy = () => new PolicyDocument({ statements: [keyAdministration(), rootKeyUse(this, context.stage), rootKeyDescribe(this, context.stage)] });

    if (context.rootKeyMode === 'kms') {
      if (context.rootKeyArn) {
        this.rootKeyArn = context.rootKeyArn;
      } else {
        // Multi-Region: a multi-Region key, replicated in each replica Region (ReplicaKeysStack), and the tables' key beside it.
        const multiRegion = context.replicaRegions.length > 0;
        const key = new Key(this, 'RootKey', {
          description,
          enableKeyRotation: true,
          multiRegion,
          removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
          policy: rootKeyPolicy(),
        });
        new Alias(this, 'RootKeyAlias', { aliasName: `alias/keyledger-${context.stage}-erk`, targetKey: key });
        this.rootKeyArn = key.keyArn;
        if (multiRegion) {
          this.tableKey = new Key(this, 'TableKey', {
            description: `keyledger ${context.stage}: encrypts the DynamoDB global tables (usable through DynamoDB only)`,
            enableKeyRotation: true,
            multiRegion: true,
            removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            policy: new PolicyDocument({ statements: [keyAdministration(), useThroughDynamoDb(this)] }),
          });
        }
      }
      this.publishRootKeyArn(this.rootKeyArn);
      return;
    }

    const clusterId = context.cloudHsmClusterId!;
    const names = secretNames(context);
    const cloudHsm = new CloudHsmProvider(this, 'CloudHsm', {
      stage: context.stage,
      logRetention: props.logRetention,
      waitForConnection: context.rootKeyMode === 'kms-cloudhsm',
    });

    if (context.rootKeyMode === 'kms-cloudhsm') {
      const keyStoreSecret = Secret.fromSecretNameV2(this, 'KeyStoreSecret', names.cloudHsmKeyStore);
      const aliasName = `alias/keyledger-${context.stage}-erk`;
      grantKeyStoreResources(this, cloudHsm, keyStoreSecret, aliasName);
      const keyStore = new CustomResource(this, 'CustomKeyStore', {
        serviceToken: cloudHsm.provider.serviceToken,
        resourceType: 'Custom::KeyledgerCustomKeyStore',
        properties: {
          Kind: 'CustomKeyStore',
          ClusterId: clusterId,
          CustomKeyStoreName: `keyledger-${context.stage}`,
          SecretId: names.cloudHsmKeyStore,
          RootKeyAlias: aliasName,
          RootKeyDescription: description,
          RootKeyPolicy: this.toJsonString(rootKeyPolicy().toJSON()),
        },
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
      this.rootKeyArn = keyStore.getAttString('RootKeyArn');
      this.publishRootKeyArn(this.rootKeyArn);
      return;
    }

    const cluster = new CustomResource(this, 'ClusterCheck', {
      serviceToken: cloudHsm.provider.serviceToken,
      resourceType: 'Custom::KeyledgerCloudHsmCluster',
      properties: { Kind: 'ClusterCheck', ClusterId: clusterId },
    });
    if (!context.pkcs11LayerArn) {
      Annotations.of(this).addWarningV2(
        'keyledger:pkcs11-layer',
        'rootKeyMode=pkcs11 without -c pkcs11LayerArn: key-admin and crypto-data-plane will fail at start until a layer with CloudHSM\'s PKCS#11 library and pkcs11js is attached (README, Deploy to AWS).',
      );
    }
    this.pkcs11 = {
      subnetIds: cluster.getAttString('SubnetIds'),
      securityGroupId: cluster.getAttString('SecurityGroupId'),
      pinSecret: Secret.fromSecretNameV2(this, 'CryptoUserPin', names.pkcs11Pin),
    };
  }

  /** Where operators and tooling find the root key (and, with `rootKeyArn`, the one resource of this stack). */
  private publishRootKeyArn(arn: string): void {
    new StringParameter(this, 'RootKeyArnParameter', {
      parameterName: `/keyledger/${this.context.stage}/root-key-arn`,
      description: `keyledger ${this.context.stage}: ARN of the environment root key (${this.context.rootKeyMode})`,
      stringValue: arn,
    });
  }

  /**
   * Gives a key-hierarchy function its root key store: the settings in its environment and
   * the permissions (or, for PKCS#11, the network, layer and PIN) it needs, and no more.
   */
  attachRootKeyStore(fn: KeyledgerFunction, customerKeys: CustomerKeyAccess): void {
    const { stage } = this.context;
    if (this.rootKeyArn) {
      attachKmsRootKey(fn, stage, this.rootKeyArn, customerKeys);
      return;
    }
    const pkcs11 = this.pkcs11!;
    addSettings(fn, {
      rootKeyStore: 'pkcs11',
      pkcs11Library: CLOUDHSM_PKCS11_LIBRARY,
      pkcs11TokenLabel: this.context.pkcs11TokenLabel,
      pkcs11PinSecretArn: pkcs11.pinSecret.secretArn,
    });
    pkcs11.pinSecret.grantRead(fn.role);
    if (this.context.pkcs11LayerArn) {
      fn.function.addLayers(LayerVersion.fromLayerVersionArn(fn, 'CloudHsmPkcs11Layer', this.context.pkcs11LayerArn));
    }
    // The cluster's own security group admits its clients; subnets are the cluster's, found at deploy time.
    (fn.function.node.defaultChild as CfnFunction).addPropertyOverride('VpcConfig', {
      SubnetIds: Fn.split(',', pkcs11.subnetIds),
      SecurityGroupIds: [pkcs11.securityGroupId],
    });
    fn.role.addToPolicy(
      new PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      fn.role,
      [{ id: 'AwsSolutions-IAM5', reason: 'Lambda needs the EC2 network interface actions to run in the CloudHSM cluster\'s VPC; they have no resource-level permissions.', appliesTo: ['Resource::*'] }],
      true,
    );
  }

}
