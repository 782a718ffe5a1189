import { Stack } from 'aws-cdk-lib';
import { Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { TABLES, tableNames, type AwsTableKey, type TableDefinition } from '@keyledger/dynamodb';
import { DestructionLedgerStore, type DestructionLedgerStoreProps } from './destructionLedgerStore';

/** The DynamoDB actions keyledger's adapters use; grants name them one by one. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'Scan' | 'BatchWriteItem';
const READ_ONLY: ReadonlySet<TableAction> = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

/**
 * keyledger's tables as the functions of one Region see them: the tables (or their replicas
 * there) and exact grants; and that Region's destruction ledger, which table restores do not
 * roll back.
 */
export interface TableSet {
  readonly tables: Record<AwsTableKey, ITable>;
  readonly ledger: DestructionLedgerStore;
  grantTable(grantee: IGrantable, key: AwsTableKey, actions: readonly TableAction[]): void;
}

/**
 * Lets `grantee` run exactly `actions` on one table and its deployed indexes (each by name), and
 * use the table key as DynamoDB needs for them: decrypt to read, encrypt and generate data keys
 * to write. Never `dynamodb:*` or `kms:*`.
 */
export function grantTableAccess(grantee: IGrantable, table: ITable, key: AwsTableKey, tableKeyArn: string, actions: readonly TableAction[]): void {
  const indexes = ((TABLES[key] as TableDefinition).globalSecondaryIndexes ?? []).filter((index) => !index.localOnly);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index.indexName}`)],
    }),
  );
  const writes = actions.some((action) => !READ_ONLY.has(action));
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['kms:Decrypt', 'kms:DescribeKey', ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : [])], resources: [tableKeyArn] }),
  );
}

/**
 * The global tables' replicas in a replica Region, for that Region's stacks: each by its name (the
 * same in every Region), the table key's replica there, and the Events replica's own stream
 * (its ARN carries a label known only once the replica exists: read at deploy time); and the
 * Region's own destruction ledger (its writer records every destruction that reaches the replica).
 */
export class ReplicaTables extends Construct implements TableSet {
  readonly tables: Record<AwsTableKey, ITable>;
  readonly ledger: DestructionLedgerStore;
  private readonly tableKeyArn: string;

  constructor(
    scope: Construct,
    id: string,
    props: { stage: string; tableKeyArn: string; ledger: Omit<DestructionLedgerStoreProps, 'stage'> },
  ) {
    super(scope, id);
    const names = tableNames(`keyledger-${props.stage}`);
    const eventsArn = Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: names.events });
    const stream = new AwsCustomResource(this, 'EventsStream', {
      onUpdate: {
        service: 'DynamoDB',
        action: 'describeTable',
        parameters: { TableName: names.events },
        physicalResourceId: PhysicalResourceId.of(`${names.events}-stream`),
        outputPaths: ['Table.LatestStreamArn'],
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [eventsArn] }),
      installLatestAwsSdk: false,
    });
    const tables = {} as Record<AwsTableKey, ITable>;
    const tableKey = Key.fromKeyArn(this, 'TableKey', props.tableKeyArn);
    for (const key of Object.keys(TABLES) as AwsTableKey[]) {
      if ((TABLES[key] as TableDefinition).localOnly) continue;
      tables[key] = Table.fromTableAttributes(this, key, {
        tableName: names[key],
        // Reading the replica's stream (the outbox) needs the table key's replica, as in the primary Region.
        encryptionKey: tableKey,
        ...(key === 'events' ? { tableStreamArn: stream.getResponseField('Table.LatestStreamArn') } : {}),
      });
    }
    this.tables = tables;
    this.tableKeyArn = props.tableKeyArn;
    this.ledger = new DestructionLedgerStore(this, 'DestructionLedger', { stage: props.stage, ...props.ledger });
    NagSuppressions.addStackSuppressions(Stack.of(this), [
      { id: 'AwsSolutions-IAM4', reason: 'The CDK AwsCustomResource provider (it reads the Events replica\'s stream ARN at deploy time) uses the AWS managed basic execution policy.' },
      { id: 'AwsSolutions-L1', reason: 'The CDK AwsCustomResource provider chooses its own function\'s runtime; it runs only at deploy time.' },
    ]);
  }

  grantTable(grantee: IGrantable, key: AwsTableKey, actions: readonly TableAction[]): void {
    grantTableAccess(grantee, this.tables[key], key, this.tableKeyArn, actions);
  }
}
