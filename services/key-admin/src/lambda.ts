/**
 * AWS composition root of key-admin: configuration from the environment the CDK app sets,
 * DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11), one handler for every
 * key-admin route.
 */
import { createServiceRouter, deferredHandler, jsonLogger } from '@keyledger/http';
import { parseConfig } from '@keyledger/key-hierarchy';
import { awsKeyHierarchySchema, createAwsKeyHierarchy, recordApiCalls, type AwsClients } from '@keyledger/outbox';
import { createKeyAdminHandlers } from './handlers';

export async function createKeyAdminLambda(env: Record<string, string | undefined>, clients?: AwsClients) {
  const config = parseConfig(awsKeyHierarchySchema({}), env);
  const logger = jsonLogger({ service: 'key-admin' });
  const { activity, keyHierarchy } = await createAwsKeyHierarchy(config, logger, clients);
  const tenantClaim = config.KEYLEDGER_TENANT_CLAIM;
  return recordApiCalls(createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger })), {
    activity,
    tenantClaim,
    logger,
  });
}

export const handler = deferredHandler(() => createKeyAdminLambda(process.env));
