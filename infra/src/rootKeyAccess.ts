import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { ANY_KMS_KEY_FINDINGS, anyKmsKeyArn } from './keyPolicies';
import { addSettings, type KeyledgerFunction } from './keyledgerFunction';

/** What a function that works on the key hierarchy may do with customer-provided (BYOK) keys. */
export type CustomerKeyAccess = 'manage' | 'use';

const DEPLOYMENT_TAG = 'keyledger:deployment';

/** Gives a key-hierarchy function its root key store (the keys stack, or a Region's replica keys). */
export interface RootKeyAccess {
  attachRootKeyStore(fn: KeyledgerFunction, customerKeys: CustomerKeyAccess): void;
}

/**
 * A kms-mode root key for one function: the settings (the deployment tag only for key-admin's
 * functions, which create BYOK keys), wrap and unwrap on that key, and the BYOK grants.
 */
export function attachKmsRootKey(fn: KeyledgerFunction, stage: string, rootKeyArn: string, customerKeys: CustomerKeyAccess): void {
  addSettings(fn, { rootKeyStore: 'kms', rootKeyArn, ...(customerKeys === 'manage' ? { deployment: stage } : {}) });
  fn.role.addToPolicy(new PolicyStatement({ actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], resources: [rootKeyArn] }));
  grantCustomerKeys(fn, stage, rootKeyArn, customerKeys);
}

/** BYOK keys are created at run time, so they are named by the deployment tag keyledger puts on each. */
function grantCustomerKeys(fn: KeyledgerFunction, stage: string, rootKeyArn: string, access: CustomerKeyAccess): void {
  const anyKey = anyKmsKeyArn(fn);
  const tagged = { StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: stage } };
  fn.role.addToPolicy(new PolicyStatement({ actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], resources: [anyKey], conditions: tagged }));
  if (access === 'manage') {
    fn.role.addToPolicy(
      new PolicyStatement({
        actions: ['kms:CreateKey', 'kms:TagResource'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:KeyOrigin': 'EXTERNAL', [`aws:RequestTag/${DEPLOYMENT_TAG}`]: stage },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['keyledger:tenant', DEPLOYMENT_TAG] },
        },
      }),
    );
    fn.role.addToPolicy(
      new PolicyStatement({
        actions: ['kms:GetParametersForImport', 'kms:ImportKeyMaterial', 'kms:DeleteImportedKeyMaterial', 'kms:ScheduleKeyDeletion'],
        resources: [anyKey],
        conditions: tagged,
      }),
    );
    // Whatever tags it may carry, the root key is never the target of a BYOK operation.
    fn.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: ['kms:TagResource', 'kms:ImportKeyMaterial', 'kms:DeleteImportedKeyMaterial', 'kms:ScheduleKeyDeletion'],
        resources: [rootKeyArn],
      }),
    );
  }
  NagSuppressions.addResourceSuppressions(
    fn.role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason: `Customer-provided keys are created at run time: access is limited to keys tagged ${DEPLOYMENT_TAG}=${stage}, and CreateKey to EXTERNAL keys carrying that tag.`,
        appliesTo: ANY_KMS_KEY_FINDINGS,
      },
    ],
    true,
  );
}
