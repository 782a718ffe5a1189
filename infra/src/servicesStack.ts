import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { KeyledgerContext } from './config';
import type { DataStack } from './dataStack';
import { deadLetterQueue } from './deadLetterQueue';
import { KeyledgerFunction } from './keyledgerFunction';
import type { KeysStack } from './keysStack';

export interface ServicesStackProps extends StackProps {
  context: KeyledgerContext;
  data: DataStack;
  keys: KeysStack;
  logRetention: RetentionDays;
}

/**
 * The three services as Lambda functions, each with exactly the table actions and key uses its
 * adapters make: key-admin and crypto-data-plane work on the key hierarchy (and the data plane
 * on secrets); audit-projector serves the logs API from one function and projects bus events in
 * another, whose failed invocations (after Lambda's own retries) land in a dead-letter queue.
 */
export class ServicesStack extends Stack {
  readonly keyAdmin: KeyledgerFunction;
  readonly cryptoDataPlane: KeyledgerFunction;
  readonly auditProjector: KeyledgerFunction;
  readonly auditProjectorEvents: KeyledgerFunction;
  readonly auditProjectorDeadLetters: Queue;

  constructor(scope: Construct, id: string, props: ServicesStackProps) {
    super(scope, id, props);
    const { context, data, keys, logRetention } = props;
    const tableName = (key: keyof DataStack['tables']) => data.tables[key].tableName;
    const hierarchySettings = {
      eventsTable: tableName('events'),
      snapshotsTable: tableName('snapshots'),
      keyMaterialTable: tableName('keyMaterial'),
      tenantClaim: context.tenantClaim,
      namespaces: context.namespaces.join(','),
    };
    const common = { stage: context.stage, logRetention };

    this.keyAdmin = new KeyledgerFunction(this, 'KeyAdmin', {
      ...common,
      name: 'key-admin',
      description: 'keyledger key-admin: Management API for encryption keys (list, rekey, BYOK)',
      settings: hierarchySettings,
      timeout: Duration.seconds(29),
    });
    this.cryptoDataPlane = new KeyledgerFunction(this, 'CryptoDataPlane', {
      ...common,
      name: 'crypto-data-plane',
      description: 'keyledger crypto-data-plane: encrypt, decrypt, data keys and secrets',
      settings: { ...hierarchySettings, secretsTable: tableName('secrets') },
      memorySize: 1024,
    });
    for (const fn of [this.keyAdmin, this.cryptoDataPlane]) {
      data.grantTable(fn.role, 'events', ['Query', 'PutItem']);
      data.grantTable(fn.role, 'snapshots', ['GetItem', 'PutItem']);
      data.grantTable(fn.role, 'keyMaterial', ['GetItem', 'PutItem', 'Query', 'DeleteItem']);
    }
    keys.attachRootKeyStore(this.keyAdmin, 'manage');
    keys.attachRootKeyStore(this.cryptoDataPlane, 'use');
    data.grantTable(this.cryptoDataPlane.role, 'secrets', ['GetItem', 'PutItem', 'Query', 'UpdateItem', 'BatchWriteItem']);

    const auditSettings = {
      auditLogTable: tableName('auditLog'),
      tenantClaim: context.tenantClaim,
      environmentName: context.stage,
    };
    this.auditProjector = new KeyledgerFunction(this, 'AuditProjector', {
      ...common,
      name: 'audit-projector',
      description: 'keyledger audit-projector: tenant logs API',
      settings: auditSettings,
    });
    data.grantTable(this.auditProjector.role, 'auditLog', ['GetItem', 'Query']);
    this.auditProjectorDeadLetters = deadLetterQueue(this, 'AuditProjectorDeadLetters', 'bus events the audit projector failed to project after Lambda\'s retries');
    this.auditProjectorEvents = new KeyledgerFunction(this, 'AuditProjectorEvents', {
      ...common,
      deadLetterQueue: this.auditProjectorDeadLetters,
      name: 'audit-projector',
      handler: 'eventHandler',
      description: 'keyledger audit-projector: projects bus events into hash-chained tenant logs',
      settings: auditSettings,
      timeout: Duration.seconds(30),
    });
    data.grantTable(this.auditProjectorEvents.role, 'auditLog', ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query']);
    this.auditProjectorEvents.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6) });
  }
}
