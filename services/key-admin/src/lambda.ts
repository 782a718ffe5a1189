/**
 * AWS composition root of key-admin: configuration from the environment the CDK app sets,
 * DynamoDB and KMS adapters, one handler for every key-admin route.
 */
import { createServiceRouter, jsonLogger } from '@keyledger/http';
import { parseConfig } from '@keyledger/key-hierarchy';
import { awsKeyHierarchyConfig, createAwsKeyHierarchy, recordApiCalls } from '@keyledger/outbox';
import { z } from 'zod';
import { createKeyAdminHandlers } from './handlers';

export function createKeyAdminLambda(env: Record<string, string | undefined>) {
  const config = parseConfig(z.object(awsKeyHierarchyConfig), env);
  const logger = jsonLogger({ service: 'key-admin' });
  const { activity, keyHierarchy } = createAwsKeyHierarchy(config, logger);
  const tenantClaim = config.KEYLEDGER_TENANT_CLAIM;
  return recordApiCalls(createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger })), {
    activity,
    tenantClaim,
    logger,
  });
}

export const handler = createKeyAdminLambda(process.env);
