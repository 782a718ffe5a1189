/**
 * AWS composition root of audit-projector: the HTTP API handler (GET /api/v2/logs...) and the
 * EventBridge rule target that projects every keyledger event into the tenant logs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AuditLogProjector, DynamoDbAuditLogStore } from '@keyledger/audit-log';
import type { BusEvent } from '@keyledger/events';
import { createServiceRouter, jsonLogger } from '@keyledger/http';
import { awsRequestControls } from '@keyledger/request-controls';
import { readSettings, type Environment } from '@keyledger/settings';
import { createAuditEventHandler } from './eventHandler';
import { createAuditProjectorHandlers } from './handlers';

export function createAuditProjectorLambda(env: Environment) {
  const settings = readSettings(['auditLogTable', 'tenantClaim', 'environmentName'], env);
  const logger = jsonLogger({ service: 'audit-projector' });
  const client = new DynamoDBClient({});
  const store = new DynamoDbAuditLogStore({ client, tableName: settings.auditLogTable });
  const controlled = awsRequestControls(env, { client, tenantClaim: settings.tenantClaim, logger });
  const projector = new AuditLogProjector({ store, environmentName: settings.environmentName, logger });
  return {
    api: controlled(createServiceRouter('audit-projector', createAuditProjectorHandlers({ store, tenantClaim: settings.tenantClaim, logger }))),
    /** EventBridge invokes asynchronously: a throw is retried by Lambda, then sent to the DLQ. */
    events: createAuditEventHandler({ projector }) as (event: BusEvent<unknown>) => Promise<void>,
  };
}

const lambda = createAuditProjectorLambda(process.env);
export const handler = lambda.api;
export const eventHandler = lambda.events;
