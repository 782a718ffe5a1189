import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { JOBS_ATTR as A, RUNNABLE, RUNNABLE_JOBS_INDEX } from '@keyledger/dynamodb';
import type { Job } from './job';
import type { JobStore, Lease } from './jobStore';

type Item = Record<string, AttributeValue>;

const key = (tenant: string, id: string): Item => ({ [A.tenant]: { S: tenant }, [A.jobId]: { S: id } });
const jobOf = (item: Item | undefined): Job | undefined => (item?.[A.job]?.S ? (JSON.parse(item[A.job]!.S!) as Job) : undefined);

/** The Jobs table: one item per job, its record as JSON beside the lease; running jobs in a sparse index. */
export class DynamoDbJobStore implements JobStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async create(job: Job): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: { ...key(job.tenant, job.id), [A.job]: { S: JSON.stringify(job) }, [A.state]: { S: job.state }, [A.runnable]: { S: RUNNABLE } },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': A.jobId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.options.client.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: key(tenant, id) }));
  }

  async get(tenant: string, id: string): Promise<Job | undefined> {
    const { Item } = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: key(tenant, id), ConsistentRead: true }));
    return jobOf(Item);
  }

  async list(tenant: string, page: { after?: string; limit: number }): Promise<{ jobs: Job[]; next: string | null }> {
    const result = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: page.after === undefined ? '#tenant = :tenant' : '#tenant = :tenant AND #id < :after',
        ExpressionAttributeNames: { '#tenant': A.tenant, ...(page.after === undefined ? {} : { '#id': A.jobId }) },
        ExpressionAttributeValues: { ':tenant': { S: tenant }, ...(page.after === undefined ? {} : { ':after': { S: page.after } }) },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: page.limit,
      }),
    );
    const jobs = (result.Items ?? []).map(jobOf).filter((job): job is Job => job !== undefined);
    return { jobs, next: result.LastEvaluatedKey ? (jobs.at(-1)?.id ?? null) : null };
  }

  async claim(tenant: string, id: string, lease: Lease, nowMs: number): Promise<Job | undefined> {
    try {
      const { Attributes } = await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key(tenant, id),
          UpdateExpression: 'SET #owner = :owner, #until = :until',
          ConditionExpression: '#state = :running AND (attribute_not_exists(#until) OR #until < :now OR #owner = :owner)',
          ExpressionAttributeNames: { '#owner': A.leaseOwner, '#until': A.leaseUntil, '#state': A.state },
          ExpressionAttributeValues: {
            ':owner': { S: lease.owner },
            ':until': { N: String(lease.untilMs) },
            ':now': { N: String(nowMs) },
            ':running': { S: 'running' },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return jobOf(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async save(job: Job, lease: Lease): Promise<boolean> {
    const finished = job.state !== 'running';
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key(job.tenant, job.id),
          // A finished job leaves the runnable index and gives up its lease.
          UpdateExpression: finished ? 'SET #job = :job, #state = :state REMOVE #runnable, #until' : 'SET #job = :job, #state = :state, #until = :until',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#job': A.job, '#state': A.state, '#owner': A.leaseOwner, ...(finished ? { '#runnable': A.runnable, '#until': A.leaseUntil } : { '#until': A.leaseUntil }) },
          ExpressionAttributeValues: {
            ':job': { S: JSON.stringify(job) },
            ':state': { S: job.state },
            ':owner': { S: lease.owner },
            ...(finished ? {} : { ':until': { N: String(lease.untilMs) } }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async runnable(): Promise<Array<{ tenant: string; id: string }>> {
    const found: Array<{ tenant: string; id: string }> = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: RUNNABLE_JOBS_INDEX,
          KeyConditionExpression: '#runnable = :running',
          ExpressionAttributeNames: { '#runnable': A.runnable },
          ExpressionAttributeValues: { ':running': { S: RUNNABLE } },
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) found.push({ tenant: item[A.tenant]?.S ?? '', id: item[A.jobId]?.S ?? '' });
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return found;
  }
}
