import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyDocument } from 'aws-cdk-lib/aws-iam';
import { CfnAlias, CfnReplicaKey } from 'aws-cdk-lib/aws-kms';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { KeyledgerContext } from './config';
import type { KeyledgerFunction } from './keyledgerFunction';
import { keyAdministration, rootKeyDescribe, rootKeyUse, useThroughDynamoDb } from './keyPolicies';
import { attachKmsRootKey, type CustomerKeyAccess, type RootKeyAccess } from './rootKeyAccess';

export interface ReplicaKeysStackProps extends StackProps {
  context: KeyledgerContext;
  /** The multi-Region keys of the primary Region's keys stack. */
  primaryRootKeyArn: string;
  primaryTableKeyArn: string;
}

/**
 * A replica Region's keys (multi-Region, kms mode): replicas of the environment root key and of
 * the tables' key. A replica has the primary's key material and id, and its own key policy,
 * written here for this Region: the root key trusts this Region's function roles only
 * (`/keyledger/<stage>/<region>/`), the table key DynamoDB in this Region only. Deployed before
 * the data stack, whose table replicas use the table key's replica.
 */
export class ReplicaKeysStack extends Stack implements RootKeyAccess {
  readonly rootKeyArn: string;
  readonly tableKeyArn: string;
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: ReplicaKeysStackProps) {
    super(scope, id, props);
    const { stage } = props.context;
    this.stage = stage;
    const rootKey = new CfnReplicaKey(this, 'RootKey', {
      primaryKeyArn: props.primaryRootKeyArn,
      description: `keyledger ${stage} environment root key (replica in ${this.region})`,
      keyPolicy: new PolicyDocument({ statements: [keyAdministration(), rootKeyUse(this, stage), rootKeyDescribe(this, stage)] }).toJSON(),
    });
    const tableKey = new CfnReplicaKey(this, 'TableKey', {
      primaryKeyArn: props.primaryTableKeyArn,
      description: `keyledger ${stage}: encrypts the DynamoDB global tables' replicas in ${this.region} (usable through DynamoDB only)`,
      keyPolicy: new PolicyDocument({ statements: [keyAdministration(), useThroughDynamoDb(this)] }).toJSON(),
    });
    for (const key of [rootKey, tableKey]) key.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    new CfnAlias(this, 'RootKeyAlias', { aliasName: `alias/keyledger-${stage}-erk`, targetKeyId: rootKey.ref });
    this.rootKeyArn = rootKey.attrArn;
    this.tableKeyArn = tableKey.attrArn;
    new StringParameter(this, 'RootKeyArnParameter', {
      parameterName: `/keyledger/${stage}/root-key-arn`,
      description: `keyledger ${stage}: ARN of the environment root key's replica in this Region (kms, multi-Region)`,
      stringValue: this.rootKeyArn,
    });
  }

  attachRootKeyStore(fn: KeyledgerFunction, customerKeys: CustomerKeyAccess): void {
    attachKmsRootKey(fn, this.stage, this.rootKeyArn, customerKeys);
  }
}
