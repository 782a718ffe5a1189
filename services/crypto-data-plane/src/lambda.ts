/**
 * AWS composition root of crypto-data-plane: configuration from the environment the CDK app
 * sets, DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11), one handler for
 * every data-plane route. The data plane reads the hierarchy (and provisions a tenant on its
 * first call); the root key store is called only on a cache miss, to unwrap a TMK. Caches live
 * as long as the Lambda execution environment.
 */
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { readDataPlaneLimits } from '@keyledger/data-plane';
import { deferredHandler, jsonLogger } from '@keyledger/http';
import { readSettings, type Environment } from '@keyledger/settings';
import { createCryptoDataPlaneService } from './service';

export async function createCryptoDataPlaneLambda(env: Environment, clients?: AwsClients) {
  const settings = { ...readAwsKeyHierarchySettings(env), ...readSettings(['secretsTable'], env) };
  const limits = readDataPlaneLimits(env);
  const logger = jsonLogger({ service: 'crypto-data-plane' });
  const { dynamodb, activity, keyHierarchy } = await createAwsKeyHierarchy(settings, logger, clients);
  return createCryptoDataPlaneService({
    keyHierarchy,
    dynamodb,
    secretsTable: settings.secretsTable,
    limits,
    activity,
    tenantClaim: settings.tenantClaim,
    logger,
  }).router;
}

export const handler = deferredHandler(() => createCryptoDataPlaneLambda(process.env));
