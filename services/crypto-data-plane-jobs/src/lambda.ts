/**
 * AWS composition root of crypto-data-plane's worker, a bundle apart from the API's: EventBridge
 * rules invoke it with a rekey's event or a manual job's start (run the re-encryption job), a
 * five-minute schedule (resume jobs whose runner stopped) and a one-minute schedule
 * (`{"pass": "rotations"}`: the secrets whose scheduled rotation is due). In a multi-Region
 * deployment only the write Region's runs anything (leases, progress and rotations are writes).
 */
import { recordJobProgress } from '@keyledger/activity';
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { createDataPlaneCore, createDataPlaneWorkers, createJobEventHandler } from '@keyledger/crypto-data-plane/workers';
import { DynamoDbRotationQueue, DynamoDbSecretControls, readDataPlaneLimits } from '@keyledger/data-plane';
import { readsOnly } from '@keyledger/domain';
import { deferred, jsonLogger } from '@keyledger/http';
import { JobRunner } from '@keyledger/jobs';
import type { Environment } from '@keyledger/settings';

export async function createCryptoDataPlaneJobsLambda(env: Environment, clients?: AwsClients) {
  const settings = readAwsKeyHierarchySettings(env);
  const logger = jsonLogger({ service: 'crypto-data-plane-jobs' });
  const aws = await createAwsKeyHierarchy(settings, logger, clients);
  const core = createDataPlaneCore({ keySource: aws.keyHierarchy, stores: aws.stores, namespaces: settings.namespaces, limits: readDataPlaneLimits(env), activity: aws.activity, logger });
  const secretControls = new DynamoDbSecretControls({ client: aws.dynamodb, tableName: settings.secretsTable });
  const rotationQueue = new DynamoDbRotationQueue({ client: aws.dynamodb, tableName: settings.secretsTable });
  const workers = createDataPlaneWorkers(core, { store: aws.stores.secretStore, secretControls, rotationQueue, activity: aws.activity, logger });
  const runner = new JobRunner({ store: aws.stores.jobStore, workers: { 'reencrypt-secrets': workers.reencryption }, onProgress: recordJobProgress(aws.activity), logger });
  const jobEvents = createJobEventHandler({ jobs: core.jobs, runner, rotations: workers.rotations, logger });
  const jobs: typeof jobEvents = async (event, context) => {
    if (readsOnly(aws.regions)) return logger.info('jobs pass skipped: this Region serves reads only', { ...aws.regions });
    return jobEvents(event, context);
  };
  return { jobs };
}

const lambda = deferred(() => createCryptoDataPlaneJobsLambda(process.env));
export const handler = async (event: Parameters<ReturnType<typeof createJobEventHandler>>[0], context?: { getRemainingTimeInMillis(): number }) => (await lambda()).jobs(event, context);
