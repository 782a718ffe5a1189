/**
 * AWS composition root of crypto-data-plane: configuration from the environment the CDK app
 * sets, DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11), one handler for
 * every data-plane route. The data plane reads the hierarchy (and provisions a tenant on its
 * first call); the root key store is called only on a cache miss, to unwrap a TMK. Caches live
 * as long as the Lambda execution environment.
 */
import { dataPlaneLimitsSchema } from '@keyledger/data-plane';
import { deferredHandler, jsonLogger } from '@keyledger/http';
import { parseConfig } from '@keyledger/key-hierarchy';
import { awsKeyHierarchySchema, createAwsKeyHierarchy, type AwsClients } from '@keyledger/outbox';
import { z } from 'zod';
import { createCryptoDataPlaneService } from './service';

export async function createCryptoDataPlaneLambda(env: Record<string, string | undefined>, clients?: AwsClients) {
  const config = parseConfig(awsKeyHierarchySchema({ KEYLEDGER_SECRETS_TABLE: z.string().min(1) }), env);
  const limits = parseConfig(dataPlaneLimitsSchema, env);
  const logger = jsonLogger({ service: 'crypto-data-plane' });
  const { dynamodb, activity, keyHierarchy } = await createAwsKeyHierarchy(config, logger, clients);
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

export const handler = deferredHandler(() => createCryptoDataPlaneLambda(process.env));
