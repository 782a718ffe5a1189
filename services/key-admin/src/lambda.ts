/**
 * AWS composition root of key-admin: configuration from the environment the CDK app sets,
 * DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11), one handler for every
 * key-admin route.
 */
import { recordApiCalls } from '@keyledger/activity';
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { createServiceRouter, deferredHandler, jsonLogger } from '@keyledger/http';
import type { Environment } from '@keyledger/settings';
import { createKeyAdminHandlers } from './handlers';

export async function createKeyAdminLambda(env: Environment, clients?: AwsClients) {
  const settings = readAwsKeyHierarchySettings(env);
  const logger = jsonLogger({ service: 'key-admin' });
  const { activity, keyHierarchy } = await createAwsKeyHierarchy(settings, logger, clients);
  const tenantClaim = settings.tenantClaim;
  return recordApiCalls(createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger })), {
    activity,
    tenantClaim,
    logger,
  });
}

export const handler = deferredHandler(() => createKeyAdminLambda(process.env));
