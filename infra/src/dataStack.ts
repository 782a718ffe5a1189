import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLES, tableNames, type AwsTableKey, type TableDefinition } from '@keyledger/dynamodb';
import { keyAdministration, useThroughDynamoDb } from './keyPolicies';

export interface DataStackProps extends StackProps {
  /** Deployment stage; physical table names are `keyledger-<stage>-<Id>`. */
  stage: string;
}

/** The DynamoDB actions keyledger's adapters use; grants name them one by one. */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'BatchWriteItem';
const READ_ONLY: ReadonlySet<TableAction> = new Set(['GetItem', 'Query']);

const attributeType = (type: TableDefinition['partitionKey']['type']) =>
  ({ S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY })[type];

/**
 * keyledger's tables, built from the same definitions the local stack creates its tables from
 * (`@keyledger/dynamodb`): on-demand, point-in-time recovery, deletion protection, encrypted
 * with a customer-managed KMS key that only DynamoDB may use, a stream on the event table for
 * the outbox, TTL where a definition names one; the local stack's own tables and indexes are
 * left out. Tables and key are retained when the stack goes, but not when its first create
 * rolls back (RETAIN_ON_UPDATE_OR_DELETE: a failed first deploy leaves no names taken).
 */
export class DataStack extends Stack {
  readonly tables: Record<AwsTableKey, Table>;
  readonly tableKey: Key;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.tableKey = new Key(this, 'TableKey', {
      description: `keyledger ${props.stage}: encrypts the DynamoDB tables (usable through DynamoDB only)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      policy: new PolicyDocument({ statements: [keyAdministration(), useThroughDynamoDb(this)] }),
    });
    const names = tableNames(`keyledger-${props.stage}`);
    const tables = {} as Record<AwsTableKey, Table>;
    for (const key of Object.keys(TABLES) as AwsTableKey[]) {
      const definition: TableDefinition = TABLES[key];
      // The local stack's own (the commit-log catch-up): nothing in AWS reads or writes them.
      if (definition.localOnly) continue;
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
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
      for (const index of definition.globalSecondaryIndexes ?? []) {
        if (index.localOnly) continue;
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

  /**
   * Lets `grantee` run exactly `actions` on one table and its indexes (each index by name), and
   * use the table key as DynamoDB needs for them: decrypt to read, encrypt and generate data keys
   * to write. Never `dynamodb:*` or `kms:*`.
   */
  grantTable(grantee: IGrantable, key: AwsTableKey, actions: readonly TableAction[]): void {
    const table = this.tables[key];
    const indexes = ((TABLES[key] as TableDefinition).globalSecondaryIndexes ?? []).filter((index) => !index.localOnly);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: actions.map((action) => `dynamodb:${action}`),
        resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index.indexName}`)],
      }),
    );
    const writes = actions.some((action) => !READ_ONLY.has(action));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey', ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : [])],
        resources: [this.tableKey.keyArn],
      }),
    );
  }
}
