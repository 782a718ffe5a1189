/**
 * AWS composition root of key-admin: configuration from the environment the CDK app sets,
 * DynamoDB and the root key store (KMS, or CloudHSM through PKCS#11), one handler for every
 * key-admin route, and the retention scheduler (an EventBridge schedule invokes it).
 */
import { readsOnly } from '@keyledger/domain';
import { recordApiCalls } from '@keyledger/activity';
import { chainHeadAfterEvent, DynamoDbAuditLogStore } from '@keyledger/audit-log';
import { DynamoDbReceiptKeyRepository, ReceiptSigner } from '@keyledger/receipts';
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { createServiceRouter, deferred, jsonLogger, type RouteHandler } from '@keyledger/http';
import { awsRequestControls } from '@keyledger/request-controls';
import { readSettings, type Environment } from '@keyledger/settings';
import { createKeyAdminHandlers } from './handlers';
import { RECEIPT_KEYS_PATH, receiptKeysResponse } from './receiptKeys';

export async function createKeyAdminLambda(env: Environment, clients?: AwsClients) {
  const settings = readAwsKeyHierarchySettings(env);
  const { auditLogTable, environmentName } = readSettings(['auditLogTable', 'environmentName'], env);
  const logger = jsonLogger({ service: 'key-admin' });
  // Receipts of executed destruction requests, signed with a receipt key the root key store seals; they name the audit chain head.
  let receipts: ReceiptSigner | undefined;
  const { activity, keyHierarchy, dynamodb, regions } = await createAwsKeyHierarchy(settings, logger, clients, undefined, ({ dynamodb: client, rootKeyStore }) => {
    receipts = new ReceiptSigner({ keys: new DynamoDbReceiptKeyRepository({ client, tableName: settings.keyCatalogTable }), rootKeyStore, issuer: `keyledger:${environmentName}` });
    return { receipts, auditChainHead: chainHeadAfterEvent(new DynamoDbAuditLogStore({ client, tableName: auditLogTable })) };
  });
  const tenantClaim = settings.tenantClaim;
  const controlled = awsRequestControls(env, { client: dynamodb, tenantClaim, logger });
  const routed = controlled(recordApiCalls(createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy, tenantClaim, logger }), { regions }), {
    activity,
    tenantClaim,
    logger,
  }));
  /**
   * The scheduled maintenance pass: due destruction requests executed or expired, then automatic
   * retirement over the tenants whose retention setting asks for it.
   */
  const retention = async () => {
    // Multi-Region: the schedule runs in every Region; only the write Region acts (its view is the one that commits).
    if (readsOnly(regions)) {
      logger.info('maintenance pass skipped: this Region serves reads only', { ...regions });
      return { retired: 0, destruction: { executed: 0, expired: 0, failed: 0 } };
    }
    const destruction = await keyHierarchy.settleDueDestructions();
    const { retired } = await keyHierarchy.retireByRetention();
    logger.info('maintenance pass', { retired: retired.length, ...destruction });
    return { retired: retired.length, destruction };
  };
  // The receipt keys' JWKS: a public route (no authorizer, no tenant), answered before the router.
  const api: RouteHandler = async (event, context) =>
    event.routeKey === `GET ${RECEIPT_KEYS_PATH}` ? receiptKeysResponse(() => receipts!.jwks()) : routed(event, context);
  return { api, retention };
}

const lambda = deferred(() => createKeyAdminLambda(process.env));
export const handler: RouteHandler = async (event, context) => (await lambda()).api(event, context);
export const retentionHandler = async () => (await lambda()).retention();
