import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CHECKPOINTS_ATTR } from '@keyledger/dynamodb';

/** A consumer's durable position in the commit log. */
export interface CheckpointStore {
  load(consumer: string): Promise<string | undefined>;
  save(consumer: string, position: string): Promise<void>;
}

export class DynamoDbCheckpointStore implements CheckpointStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string; clock?: () => Date }) {}

  async load(consumer: string): Promise<string | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { [CHECKPOINTS_ATTR.consumer]: { S: consumer } }, ConsistentRead: true }),
    );
    return Item?.[CHECKPOINTS_ATTR.position]?.S;
  }

  /** Only moves forward: a stale writer never rewinds the checkpoint past what was published. */
  async save(consumer: string, position: string): Promise<void> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            [CHECKPOINTS_ATTR.consumer]: { S: consumer },
            [CHECKPOINTS_ATTR.position]: { S: position },
            [CHECKPOINTS_ATTR.updatedAt]: { S: (this.options.clock?.() ?? new Date()).toISOString() },
          },
          ConditionExpression: 'attribute_not_exists(#position) OR #position < :position',
          ExpressionAttributeNames: { '#position': CHECKPOINTS_ATTR.position },
          ExpressionAttributeValues: { ':position': { S: position } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // already further on
      throw error;
    }
  }
}
