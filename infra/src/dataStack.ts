import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption, TableEncryptionV2, TableV2, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLES, tableNames, type AwsTableKey, type TableDefinition } from '@keyledger/dynamodb';
import { keyAdministration, useThroughDynamoDb } from './keyPolicies';
import { DestructionLedgerStore, type DestructionLedgerStoreProps } from './destructionLedgerStore';
import { grantTableAccess, type TableAction, type TableSet } from './tableAccess';

export type { TableAction } from './tableAccess';

export interface DataStackProps extends StackProps {
  /** Deployment stage; physical table names are `keyledger-<stage>-<Id>`. */
  stage: string;
  /**
   * Multi-Region: the Regions that replicate the tables (global tables), and the multi-Region
   * table key (made in the keys stack, replicated before this stack), whose replica in each
   * Region has the same key id.
   */
  multiRegion?: { replicaRegions: readonly string[]; tableKey: IKey };
  /** The destruction ledger's retention (this Region's; each replica Region keeps its own). */
  ledger: Omit<DestructionLedgerStoreProps, 'stage'>;
}

const attributeType = (type: TableDefinition['partitionKey']['type']) =>
  ({ S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY })[type];

/**
 * keyledger's tables, built from the same definitions the local stack creates its tables from
 * (`@keyledger/dynamodb`): on-demand, point-in-time recovery, deletion protection, encrypted
 * with a customer-managed KMS key that only DynamoDB may use, a stream on the event table for
 * the outbox, TTL where a definition names one; the local stack's own tables and indexes are
 * left out. Tables and key are retained when the stack goes, but not when its first create
 * rolls back (RETAIN_ON_UPDATE_OR_DELETE: a failed first deploy leaves no names taken). With
 * `multiRegion`, global tables (TableV2) with a replica per Region, each with PITR and deletion
 * protection, under the table key's replica in its Region. Beside them, the Region's destruction
 * ledger (destructionLedgerStore.ts), which no table restore rolls back.
 */
export class DataStack extends Stack implements TableSet {
  readonly tables: Record<AwsTableKey, ITable>;
  readonly tableKey: IKey;
  readonly ledger: DestructionLedgerStore;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.tableKey =
      props.multiRegion?.tableKey ??
      new Key(this, 'TableKey', {
        description: `keyledger ${props.stage}: encrypts the DynamoDB tables (usable through DynamoDB only)`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        policy: new PolicyDocument({ statements: [keyAdministration(), useThroughDynamoDb(this)] }),
      });
    const names = tableNames(`keyledger-${props.stage}`);
    const tables = {} as Record<AwsTableKey, ITable>;
    for (const key of Object.keys(TABLES) as AwsTableKey[]) {
      const definition: TableDefinition = TABLES[key];
      // The local stack's own (the commit-log catch-up): nothing in AWS reads or writes them.
      if (definition.localOnly) continue;
      const keys = {
        partitionKey: { name: definition.partitionKey.name, type: attributeType(definition.partitionKey.type) },
        sortKey: definition.sortKey ? { name: definition.sortKey.name, type: attributeType(definition.sortKey.type) } : undefined,
      };
      const indexes = (definition.globalSecondaryIndexes ?? [])
        .filter((index) => !index.localOnly)
        .map((index) => ({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey.name, type: attributeType(index.partitionKey.type) },
          sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) },
          projectionType: ProjectionType[index.projection],
        }));
      if (props.multiRegion) {
        const { replicaRegions } = props.multiRegion;
        // A multi-Region key's replicas share its key id: each Region's replica ARN follows from it.
        const replicaKeyArns = Object.fromEntries(
          replicaRegions.map((region) => [region, this.formatArn({ service: 'kms', region, resource: 'key', resourceName: this.tableKey.keyId })]),
        );
        tables[key] = new TableV2(this, definition.id, {
          tableName: names[key],
          ...keys,
          billing: Billing.onDemand(),
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: true,
          encryption: TableEncryptionV2.customerManagedKey(this.tableKey, replicaKeyArns),
          dynamoStream: definition.stream === 'NEW_IMAGE' ? StreamViewType.NEW_IMAGE : undefined,
          timeToLiveAttribute: definition.timeToLiveAttribute,
          globalSecondaryIndexes: indexes,
          replicas: replicaRegions.map((region) => ({ region })),
          removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        });
        continue;
      }
      const table = new Table(this, definition.id, {
        tableName: names[key],
        ...keys,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.tableKey,
        stream: definition.stream === 'NEW_IMAGE' ? StreamViewType.NEW_IMAGE : undefined,
        timeToLiveAttribute: definition.timeToLiveAttribute,
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
      for (const index of indexes) table.addGlobalSecondaryIndex(index);
      tables[key] = table;
    }
    this.tables = tables;
    this.ledger = new DestructionLedgerStore(this, 'DestructionLedger', { stage: props.stage, ...props.ledger });
  }

  /** Exact actions on one table and its indexes, and the table key as DynamoDB needs it for them. */
  grantTable(grantee: IGrantable, key: AwsTableKey, actions: readonly TableAction[]): void {
    grantTableAccess(grantee, this.tables[key], key, this.tableKey.keyArn, actions);
  }
}
