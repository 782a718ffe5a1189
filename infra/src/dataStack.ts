import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLES, tableNames, type TableDefinition, type TableKey } from '@keyledger/dynamodb';

export interface DataStackProps extends StackProps {
  /** Deployment stage; physical table names are `keyledger-<stage>-<Id>`. */
  stage: string;
}

const attributeType = (type: TableDefinition['partitionKey']['type']) =>
  ({ S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY })[type];

/**
 * keyledger's tables, built from the same definitions the local stack creates its tables from
 * (`@keyledger/dynamodb`): on-demand, point-in-time recovery, deletion protection, encrypted
 * with a customer-managed KMS key, a stream on the event table for the outbox.
 */
export class DataStack extends Stack {
  readonly tables: Record<TableKey, Table>;
  readonly tableKey: Key;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.tableKey = new Key(this, 'TableKey', {
      description: 'Encrypts keyledger DynamoDB tables',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const names = tableNames(`keyledger-${props.stage}`);
    const tables = {} as Record<TableKey, Table>;
    for (const key of Object.keys(TABLES) as TableKey[]) {
      const definition: TableDefinition = TABLES[key];
      tables[key] = new Table(this, definition.id, {
        tableName: names[key],
        partitionKey: { name: definition.partitionKey.name, type: attributeType(definition.partitionKey.type) },
        sortKey: definition.sortKey
          ? { name: definition.sortKey.name, type: attributeType(definition.sortKey.type) }
          : undefined,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.tableKey,
        stream: definition.stream === 'NEW_IMAGE' ? StreamViewType.NEW_IMAGE : undefined,
        timeToLiveAttribute: definition.timeToLiveAttribute,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of definition.globalSecondaryIndexes ?? []) {
        tables[key].addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey.name, type: attributeType(index.partitionKey.type) },
          sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) },
          projectionType: ProjectionType[index.projection],
        });
      }
    }
    this.tables = tables;
  }
}
