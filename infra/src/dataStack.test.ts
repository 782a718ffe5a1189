import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { startLocalDynamoDb, TABLES, tableNames, toCreateTableInput, type LocalDynamoDb, type TableDefinition, type TableKey } from '@keyledger/dynamodb';
import { DataStack } from './dataStack';

const template = Template.fromStack(new DataStack(new App(), 'data', { stage: 'test', ledger: { retentionDays: 3653, logRetentionDays: 365 } }));
const names = tableNames('keyledger-test');
// The local stack's own tables and indexes (the commit-log catch-up) are not deployed.
const tableKeys = (Object.keys(TABLES) as TableKey[]).filter((key) => !(TABLES[key] as TableDefinition).localOnly);
const deployed = (definition: TableDefinition): TableDefinition => {
  const indexes = definition.globalSecondaryIndexes?.filter((index) => !index.localOnly);
  return { ...definition, globalSecondaryIndexes: indexes?.length ? indexes : undefined };
};

describe('DataStack', () => {
  it('creates exactly the tables the local stack creates, but its local-only ones', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toHaveLength(tableKeys.length);
    expect(Object.keys(TABLES).length - tableKeys.length).toBe(1);
  });

  it.each(tableKeys)('builds table %s from the shared definition (same keys and attributes as local)', (key) => {
    const local = toCreateTableInput(deployed(TABLES[key]), names[key]);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: names[key],
      KeySchema: local.KeySchema,
      AttributeDefinitions: Match.arrayEquals(local.AttributeDefinitions!),
      BillingMode: 'PAY_PER_REQUEST',
      ...(local.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: local.GlobalSecondaryIndexes } : {}),
      ...(local.StreamSpecification ? { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } } : {}),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
  });

  it('encrypts with a customer-managed key that rotates and that only DynamoDB may use', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'UseThroughDynamoDbOnly',
            Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
          }),
        ]),
      },
    });
  });

  describe('against the tables the local stack really creates (dynalite)', () => {
    let dynamo: LocalDynamoDb;
    beforeAll(async () => {
      dynamo = await startLocalDynamoDb({ tablePrefix: 'keyledger-test' });
    });
    afterAll(() => dynamo.stop());

    it.each(tableKeys)('%s: the same name, keys and indexes as the CDK template', async (key) => {
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: dynamo.tables[key] }));
      const cdk = Object.values(template.findResources('AWS::DynamoDB::Table')).find(
        (resource) => (resource['Properties'] as { TableName: string }).TableName === Table!.TableName,
      )!['Properties'] as Record<string, unknown>;
      expect(cdk['KeySchema']).toEqual(Table!.KeySchema);
      // The attributes of the keys of the table and of its deployed indexes (a local-only index's are local only).
      const keyed = new Set([TABLES[key].partitionKey, (TABLES[key] as TableDefinition).sortKey, ...(deployed(TABLES[key]).globalSecondaryIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey])].map((attribute) => attribute?.name));
      expect(cdk['AttributeDefinitions']).toEqual(expect.arrayContaining(Table!.AttributeDefinitions!.filter((attribute) => keyed.has(attribute.AttributeName))));
      expect(((cdk['GlobalSecondaryIndexes'] as Array<{ IndexName: string; KeySchema: unknown }> | undefined) ?? []).map((index) => [index.IndexName, index.KeySchema])).toEqual(
        (Table!.GlobalSecondaryIndexes ?? [])
          .filter((index) => !(TABLES[key] as TableDefinition).globalSecondaryIndexes?.find((own) => own.indexName === index.IndexName)?.localOnly)
          .map((index) => [index.IndexName, index.KeySchema]),
      );
      // dynalite has no streams (locally the outbox catches up from the table): the stream comes from the same definition.
      expect((cdk['StreamSpecification'] as { StreamViewType?: string } | undefined)?.StreamViewType).toBe((TABLES[key] as TableDefinition).stream);
    });
  });
});
