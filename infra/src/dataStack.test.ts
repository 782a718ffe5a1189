import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TABLES, tableNames, toCreateTableInput, type TableKey } from '@keyledger/dynamodb';
import { DataStack } from './dataStack';

const template = Template.fromStack(new DataStack(new App(), 'data', { stage: 'test' }));
const names = tableNames('keyledger-test');

describe('DataStack', () => {
  it('creates exactly the tables the local stack creates', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toHaveLength(Object.keys(TABLES).length);
  });

  it.each(Object.keys(TABLES) as TableKey[])('builds table %s from the shared definition (same keys and attributes as local)', (key) => {
    const local = toCreateTableInput(TABLES[key], names[key]);
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

  it('encrypts with a customer-managed key that rotates', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});
