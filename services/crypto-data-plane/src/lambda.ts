/**
 * AWS composition root of crypto-data-plane's API: configuration from the environment the CDK
 * app sets, DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11), and the HTTP
 * handler for every data-plane route. Its worker (re-encryption jobs, scheduled rotations) is
 * the jobs function, services/crypto-data-plane-jobs. The data plane reads the hierarchy (and
 * provisions a tenant on its first call); the root key store is called only on a cache miss, to
 * unwrap a TMK. Caches live as long as the Lambda execution environment.
 */
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { DynamoDbSecretControls, readDataPlaneLimits } from '@keyledger/data-plane';
import { deferred, jsonLogger, type RouteHandler } from '@keyledger/http';
import { awsRequestControls } from '@keyledger/request-controls';
import type { Environment } from '@keyledger/settings';
import { createCryptoDataPlaneService } from './service';

export async function createCryptoDataPlaneLambda(env: Environment, clients?: AwsClients) {
  const settings = readAwsKeyHierarchySettings(env);
  const limits = readDataPlaneLimits(env);
  const logger = jsonLogger({ service: 'crypto-data-plane' });
  // Its only commits provision tenants (it never destroys a key), so no change needs to reach its caches.
  const aws = await createAwsKeyHierarchy(settings, logger, clients);
  const service = createCryptoDataPlaneService({
    keySource: aws.keyHierarchy,
    stores: aws.stores,
    namespaces: settings.namespaces,
    limits,
    usageFlushIntervalMs: settings.usageFlushInterval,
    secretControls: new DynamoDbSecretControls({ client: aws.dynamodb, tableName: settings.secretsTable }),
    activity: aws.activity,
    tenantClaim: settings.tenantClaim,
    logger,
    regions: aws.regions,
  });
  const controlled = awsRequestControls(env, { client: aws.dynamodb, tenantClaim: settings.tenantClaim, policies: service.replayPolicies, logger });
  return { api: controlled(service.router) };
}

const lambda = deferred(() => createCryptoDataPlaneLambda(process.env));
export const handler: RouteHandler = async (event, context) => (await lambda()).api(event, context);
