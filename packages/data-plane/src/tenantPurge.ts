import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { deletePartition, JOBS_ATTR, KEY_USAGE_ATTR } from '@keyledger/dynamodb';
import type { DynamoDbSecretStore } from './secrets/dynamoDbSecretStore';

/**
 * What the data plane's tables hold of a tenant, deleted for good when it is shredded: its
 * secrets (every version of every name with a live version, in each of its namespaces), its
 * key usage counts and its re-encryption jobs. Idempotent: a second run finds nothing.
 */
export function tenantDataPurger(client: DynamoDBClient, tables: { keyUsage: string; jobs: string }, secrets: DynamoDbSecretStore) {
  return {
    async purge(tenant: string, namespaces: readonly string[]): Promise<Record<string, number>> {
      let secretItems = 0;
      for (const namespace of namespaces) secretItems += await secrets.purgeNamespace({ tenant, namespace });
      const usage = await deletePartition(client, tables.keyUsage, { partitionKey: KEY_USAGE_ATTR.tenant, sortKey: KEY_USAGE_ATTR.kid, value: tenant });
      const jobs = await deletePartition(client, tables.jobs, { partitionKey: JOBS_ATTR.tenant, sortKey: JOBS_ATTR.jobId, value: tenant });
      return { secret_items: secretItems, key_usage_items: usage, job_items: jobs };
    },
  };
}
