/**
 * AWS composition root of crypto-data-plane: configuration from the environment the CDK app
 * sets, DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11). Two entries: the HTTP
 * handler for every data-plane route, and the jobs handler that EventBridge rules and a schedule
 * invoke to run re-encryption jobs. The data plane reads the hierarchy (and provisions a tenant
 * on its first call); the root key store is called only on a cache miss, to unwrap a TMK.
 * Caches live as long as the Lambda execution environment.
 */
import { readsOnly } from '@keyledger/domain';
import { recordJobProgress } from '@keyledger/activity';
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { readDataPlaneLimits } from '@keyledger/data-plane';
import { deferred, jsonLogger, type RouteHandler } from '@keyledger/http';
import { JobRunner } from '@keyledger/jobs';
import { awsRequestControls } from '@keyledger/request-controls';
import type { Environment } from '@keyledger/settings';
import { createJobEventHandler } from './jobEvents';
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
    activity: aws.activity,
    tenantClaim: settings.tenantClaim,
    logger,
    regions: aws.regions,
  });
  const runner = new JobRunner({
    store: aws.stores.jobStore,
    workers: { 'reencrypt-secrets': service.reencryption },
    onProgress: recordJobProgress(aws.activity),
    logger,
  });
  const controlled = awsRequestControls(env, { client: aws.dynamodb, tenantClaim: settings.tenantClaim, policies: service.replayPolicies, logger });
  const jobEvents = createJobEventHandler({ jobs: service.jobs, runner, logger });
  // Multi-Region: jobs run in the write Region only (their leases and progress are writes).
  const jobs: typeof jobEvents = async (event, context) => {
    if (readsOnly(aws.regions)) return logger.info('jobs pass skipped: this Region serves reads only', { ...aws.regions });
    return jobEvents(event, context);
  };
  return { api: controlled(service.router), jobs };
}

const lambda = deferred(() => createCryptoDataPlaneLambda(process.env));
export const handler: RouteHandler = async (event, context) => (await lambda()).api(event, context);
export const jobsHandler = async (event: Parameters<ReturnType<typeof createJobEventHandler>>[0], context?: { getRemainingTimeInMillis(): number }) =>
  (await lambda()).jobs(event, context);
