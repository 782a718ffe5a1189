/**
 * AWS composition root of key-admin: configuration from the environment the CDK app sets,
 * DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11), one handler for every
 * key-admin route, and the retention scheduler (an EventBridge schedule invokes it).
 */
import { recordApiCalls } from '@keyledger/activity';
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { createServiceRouter, deferred, jsonLogger, type RouteHandler } from '@keyledger/http';
import { awsRequestControls } from '@keyledger/request-controls';
import type { Environment } from '@keyledger/settings';
import { createKeyAdminHandlers } from './handlers';

export async function createKeyAdminLambda(env: Environment, clients?: AwsClients) {
  const settings = readAwsKeyHierarchySettings(env);
  const logger = jsonLogger({ service: 'key-admin' });
  const { activity, keyHierarchy, dynamodb } = await createAwsKeyHierarchy(settings, logger, clients);
  const tenantClaim = settings.tenantClaim;
  const controlled = awsRequestControls(env, { client: dynamodb, tenantClaim, logger });
  const api = controlled(recordApiCalls(createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger })), {
    activity,
    tenantClaim,
    logger,
  }));
  /**
   * The scheduled maintenance pass: due destruction requests executed or expired, then automatic
   * retirement over the tenants whose retention setting asks for it.
   */
  const retention = async () => {
    const destruction = await keyHierarchy.settleDueDestructions();
    const { retired } = await keyHierarchy.retireByRetention();
    logger.info('maintenance pass', { retired: retired.length, ...destruction });
    return { retired: retired.length, destruction };
  };
  return { api, retention };
}

const lambda = deferred(() => createKeyAdminLambda(process.env));
export const handler: RouteHandler = async (event, context) => (await lambda()).api(event, context);
export const retentionHandler = async () => (await lambda()).retention();
