/**
 * AWS composition root of crypto-data-plane: configuration from the environment the CDK app
 * sets, DynamoDB and KMS adapters, one handler for every data-plane route. The data plane reads
 * the hierarchy (and provisions a tenant on its first call); KMS is called only on a cache
 * miss, to unwrap a TMK. Caches live as long as the Lambda execution environment.
 */
import { dataPlaneLimitsSchema } from '@keyledger/data-plane';
import { jsonLogger } from '@keyledger/http';
import { parseConfig } from '@keyledger/key-hierarchy';
import { awsKeyHierarchyConfig, createAwsKeyHierarchy } from '@keyledger/outbox';
import { z } from 'zod';
import { createCryptoDataPlaneService } from './service';

export function createCryptoDataPlaneLambda(env: Record<string, string | undefined>) {
  const config = parseConfig(z.object({ ...awsKeyHierarchyConfig, KEYLEDGER_SECRETS_TABLE: z.string().min(1) }), env);
  const limits = parseConfig(dataPlaneLimitsSchema, env);
  const logger = jsonLogger({ service: 'crypto-data-plane' });
  const { dynamodb, activity, keyHierarchy } = createAwsKeyHierarchy(config, logger);
  return createCryptoDataPlaneService({
    keyHierarchy,
    dynamodb,
    secretsTable: config.KEYLEDGER_SECRETS_TABLE,
    limits,
    activity,
    tenantClaim: config.KEYLEDGER_TENANT_CLAIM,
    logger,
  }).router;
}

export const handler = createCryptoDataPlaneLambda(process.env);
