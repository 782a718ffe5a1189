/**
 * AWS composition root of audit-projector: the HTTP API handler (GET /api/v2/logs...) and the
 * EventBridge rule target that projects every keyledger event into the tenant logs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AuditLogProjector, DynamoDbAuditLogStore } from '@keyledger/audit-log';
import type { BusEvent } from '@keyledger/events';
import { createServiceRouter, jsonLogger } from '@keyledger/http';
import { DEFAULT_TENANT_CLAIM, parseConfig } from '@keyledger/key-hierarchy';
import { z } from 'zod';
import { createAuditEventHandler } from './eventHandler';
import { createAuditProjectorHandlers } from './handlers';

const configSchema = z.object({
  KEYLEDGER_AUDIT_LOG_TABLE: z.string().min(1),
  KEYLEDGER_TENANT_CLAIM: z.string().min(1).default(DEFAULT_TENANT_CLAIM),
  KEYLEDGER_ENVIRONMENT_NAME: z.string().min(1),
});

export function createAuditProjectorLambda(env: Record<string, string | undefined>) {
  const config = parseConfig(configSchema, env);
  const logger = jsonLogger({ service: 'audit-projector' });
  const store = new DynamoDbAuditLogStore({ client: new DynamoDBClient({}), tableName: config.KEYLEDGER_AUDIT_LOG_TABLE });
  const projector = new AuditLogProjector({ store, environmentName: config.KEYLEDGER_ENVIRONMENT_NAME, logger });
  return {
    api: createServiceRouter('audit-projector', createAuditProjectorHandlers({ store, tenantClaim: config.KEYLEDGER_TENANT_CLAIM, logger })),
    /** EventBridge invokes asynchronously: a throw is retried by Lambda, then sent to the DLQ. */
    events: createAuditEventHandler({ projector }) as (event: BusEvent<unknown>) => Promise<void>,
  };
}

const lambda = createAuditProjectorLambda(process.env);
export const handler = lambda.api;
export const eventHandler = lambda.events;
