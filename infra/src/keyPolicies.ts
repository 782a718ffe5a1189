import { Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * Key policy statements written out instead of CDK's default (which gives the account `kms:*`):
 * the account administers its keys, and may use them only through the statements below.
 */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  // Multi-Region keys: CloudFormation's ReplicaKey calls ReplicateKey on the primary, which its
  // key policy must allow; UpdatePrimaryRegion moves the primary (single-Region keys refuse both).
  'kms:ReplicateKey',
  'kms:UpdatePrimaryRegion',
];

export function keyAdministration(): PolicyStatement {
  return new PolicyStatement({
    sid: 'AccountAdministersTheKey',
    principals: [new AccountRootPrincipal()],
    actions: KEY_ADMINISTRATION_ACTIONS,
    resources: ['*'],
  });
}

/** IAM policies of this account may grant use of the key, but only through DynamoDB. */
export function useThroughDynamoDb(scope: Construct): PolicyStatement {
  const stack = Stack.of(scope);
  return new PolicyStatement({
    sid: 'UseThroughDynamoDbOnly',
    principals: [new AccountRootPrincipal()],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com`, 'kms:CallerAccount': stack.account } },
  });
}

/** The name prefix of a stage's Lambda functions (function names are per Region, so they need no Region). */
export const functionNamePrefix = (stage: string) => `keyledger-${stage}-`;

/**
 * The IAM path of a stage's function roles in one Region: `/keyledger/<stage>/<region>/`. Key
 * policies trust only roles under it. The path ends in `/`, so stage `rev` does not cover stage
 * `rev-2` (a name prefix would), and one stage in two Regions has two paths. Role names are left
 * to CloudFormation (unique per stack and Region; IAM names are global to the account).
 */
export const functionRolePath = (scope: Construct, stage: string) => `/keyledger/${stage}/${Stack.of(scope).region}/`;

/** Only this stage's function roles in this Region: the principal condition of the root key's use statements. */
function stageFunctionRoles(scope: Construct, stage: string) {
  const stack = Stack.of(scope);
  return { ArnLike: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role${functionRolePath(scope, stage)}*` } };
}

/** Any KMS key of this account and region: BYOK keys and the CloudHSM root key are made at run time, so policies name them by tag. */
export const anyKmsKeyArn = (scope: Construct) => Stack.of(scope).formatArn({ service: 'kms', resource: 'key', resourceName: '*' });

/** cdk-nag's IAM5 findings for `anyKmsKeyArn` (and for actions that have no resource-level permissions at all). */
export const ANY_KMS_KEY_FINDINGS = ['Resource::*', { regex: '/^Resource::arn:<AWS::Partition>:kms:.+:(<AWS::AccountId>|\\d{12}):key\\/\\*$/' }];

/** The root key: IAM may grant wrapping and unwrapping only to this stage's function roles, and only with a tenant in the context. */
export function rootKeyUse(scope: Construct, stage: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'KeyledgerFunctionsWrapAndUnwrap',
    effect: Effect.ALLOW,
    principals: [new AccountRootPrincipal()],
    actions: ['kms:Encrypt', 'kms:Decrypt'],
    resources: ['*'],
    conditions: {
      ...stageFunctionRoles(scope, stage),
      Null: { 'kms:EncryptionContext:keyledger:tenant': 'false' },
    },
  });
}

export function rootKeyDescribe(scope: Construct, stage: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'KeyledgerFunctionsDescribe',
    principals: [new AccountRootPrincipal()],
    actions: ['kms:DescribeKey'],
    resources: ['*'],
    conditions: stageFunctionRoles(scope, stage),
  });
}

/** The destruction ledger's page key: IAM may grant making and checking MACs only to this stage's function roles. */
export function ledgerPageMacUse(scope: Construct, stage: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'KeyledgerFunctionsSignAndVerifyLedgerPages',
    principals: [new AccountRootPrincipal()],
    actions: ['kms:GenerateMac', 'kms:VerifyMac'],
    resources: ['*'],
    conditions: stageFunctionRoles(scope, stage),
  });
}
