import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@keyledger/domain';
import { DynamoDbJobStore } from '@keyledger/jobs';
import { keyDependents } from './keyDependents';
import { DynamoDbSecretStore } from './secrets/dynamoDbSecretStore';
import { tenantDataPurger } from './tenantPurge';
import { DynamoDbKeyUsageStore } from './usage/dynamoDbKeyUsageStore';
import { UsageTracker } from './usage/usageTracker';

/** The data plane's DynamoDB stores, as every runtime wires them, and what they tell the key hierarchy. */
export function createDataPlaneStores(
  client: DynamoDBClient,
  tables: { secrets: string; keyUsage: string; jobs: string },
  options: { usageFlushIntervalMs: number; clock?: () => Date; logger?: Logger },
) {
  const secretStore = new DynamoDbSecretStore({ client, tableName: tables.secrets });
  const usage = new UsageTracker({
    store: new DynamoDbKeyUsageStore({ client, tableName: tables.keyUsage }),
    flushIntervalMs: options.usageFlushIntervalMs,
    clock: options.clock,
    logger: options.logger,
  });
  const jobStore = new DynamoDbJobStore({ client, tableName: tables.jobs });
  return { secretStore, usage, jobStore, dependents: keyDependents({ secrets: secretStore, usage }), tenantData: tenantDataPurger(client, tables, secretStore) };
}

export type DataPlaneStores = ReturnType<typeof createDataPlaneStores>;
