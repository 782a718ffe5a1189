import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { SettingName } from '@keyledger/settings';
import type { Construct } from 'constructs';
import type { KeyledgerContext } from './config';
import type { AwsTableKey } from '@keyledger/dynamodb';
import type { TableAction, TableSet } from './tableAccess';
import { deadLetterQueue } from './deadLetterQueue';
import { KeyledgerFunction } from './keyledgerFunction';
import type { RootKeyAccess } from './rootKeyAccess';

export interface ServicesStackProps extends StackProps {
  context: KeyledgerContext;
  data: TableSet;
  keys: RootKeyAccess;
  logRetention: RetentionDays;
  /** Multi-Region: the one Region whose functions commit (KEYLEDGER_WRITE_REGION); the others serve reads. */
  writeRegion?: string;
}

type TableGrants = Partial<Record<AwsTableKey, TableAction[]>>;

/** What every function on the key hierarchy does with the tables: load and commit (and snapshot), read and stage material. */
const HIERARCHY_GRANTS: TableGrants = {
  events: ['Query', 'PutItem'],
  snapshots: ['GetItem', 'PutItem'],
  // Every snapshot is also added to the history; only key-admin's API reads it (hierarchies as they were).
  snapshotHistory: ['PutItem'],
  keyMaterial: ['GetItem', 'PutItem', 'Query', 'DeleteItem', 'BatchWriteItem'],
};

/**
 * The services as Lambda functions, each with exactly the table actions and key uses its
 * adapters make: key-admin (and its retention scheduler) and crypto-data-plane (and its job
 * runner) work on the key hierarchy, the data plane on secrets and jobs too; audit-projector
 * serves the logs API from one function and projects bus events in another. Functions invoked
 * asynchronously send what Lambda's own retries cannot fix to a dead-letter queue. After a table
 * restore, the operator's `keyledger backup reapply-ledger` drives the destruction ledger's reader
 * (S3, signs pages) and re-apply function (the hierarchy, checks pages).
 */
export class ServicesStack extends Stack {
  readonly keyAdmin: KeyledgerFunction;
  readonly keyAdminRetention: KeyledgerFunction;
  readonly cryptoDataPlane: KeyledgerFunction;
  readonly cryptoDataPlaneJobs: KeyledgerFunction;
  readonly auditProjector: KeyledgerFunction;
  readonly auditProjectorEvents: KeyledgerFunction;
  readonly auditProjectorDeadLetters: Queue;
  readonly maintenanceDeadLetters: Queue;
  readonly ledgerReader: KeyledgerFunction;
  readonly ledgerReapply: KeyledgerFunction;

  constructor(scope: Construct, id: string, props: ServicesStackProps) {
    super(scope, id, props);
    const { context, data, keys, logRetention } = props;
    const tableName = (key: AwsTableKey) => data.tables[key].tableName;
    // Every API function: per-tenant rate limits and Idempotency-Key records, shared by all instances.
    const requestControlSettings: Partial<Record<SettingName, string>> = {
      requestControlsTable: tableName('requestControls'),
      rateLimit: String(context.tenantRateLimit),
      ...(context.tenantRateLimitBurst === undefined ? {} : { rateLimitBurst: String(context.tenantRateLimitBurst) }),
    };
    const REQUEST_CONTROL_GRANTS: TableAction[] = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'];
    const hierarchySettings: Partial<Record<SettingName, string>> = {
      eventsTable: tableName('events'),
      snapshotsTable: tableName('snapshots'),
      snapshotHistoryTable: tableName('snapshotHistory'),
      keyMaterialTable: tableName('keyMaterial'),
      keyCatalogTable: tableName('keyCatalog'),
      secretsTable: tableName('secrets'),
      keyUsageTable: tableName('keyUsage'),
      jobsTable: tableName('jobs'),
      tenantClaim: context.tenantClaim,
      namespaces: context.namespaces.join(','),
      retireQuietPeriod: context.retireQuietPeriod,
      destructionWaitingPeriod: context.destructionWaitingPeriod,
      destructionApprovals: context.destructionApprovals,
      usageFlushInterval: context.usageFlushInterval,
      ...(props.writeRegion ? { writeRegion: props.writeRegion } : {}),
      ...requestControlSettings,
    };
    const common = { stage: context.stage, logRetention };
    const grant = (fn: KeyledgerFunction, grants: TableGrants) => {
      for (const [table, actions] of Object.entries({ ...HIERARCHY_GRANTS, ...grants }) as Array<[AwsTableKey, TableAction[]]>) {
        data.grantTable(fn.role, table, actions);
      }
    };
    this.maintenanceDeadLetters = deadLetterQueue(this, 'MaintenanceDeadLetters', 'job and retention runs that failed after Lambda\'s retries (the next scheduled run resumes them)');

    // key-admin: the Management API; it retires keys, so it reads what depends on them and writes the catalog
    // (and the receipt keys in it); a shred deletes the tenant's secrets, usage counts and jobs (Query, BatchWriteItem).
    const keyAdminGrants: TableGrants = {
      keyCatalog: ['GetItem', 'PutItem', 'Query', 'DeleteItem', 'BatchWriteItem'],
      // Query: the count of versions under a key; GetItem: whether an older tenant's namespace was scanned.
      secrets: ['GetItem', 'Query', 'BatchWriteItem'],
      keyUsage: ['GetItem', 'Query', 'BatchWriteItem'],
      jobs: ['Query', 'BatchWriteItem'],
      // A receipt names the tenant's audit chain head (its last entry), once its execution's entry is in (GetItem: its marker).
      auditLog: ['GetItem', 'Query'],
    };
    const keyAdminSettings: Partial<Record<SettingName, string>> = { ...hierarchySettings, auditLogTable: tableName('auditLog'), environmentName: context.stage };
    this.keyAdmin = new KeyledgerFunction(this, 'KeyAdmin', {
      ...common,
      name: 'key-admin',
      description: 'keyledger key-admin: Management API for encryption keys (list, rekey, BYOK, retire, shred)',
      settings: keyAdminSettings,
      timeout: Duration.seconds(29),
    });
    this.keyAdminRetention = new KeyledgerFunction(this, 'KeyAdminRetention', {
      ...common,
      name: 'key-admin',
      handler: 'retentionHandler',
      description: "keyledger key-admin: executes due destruction requests and retires quiet, unused deactivated keys by tenants' retention settings (scheduled)",
      settings: keyAdminSettings,
      timeout: Duration.minutes(5),
      deadLetterQueue: this.maintenanceDeadLetters,
    });
    grant(this.keyAdmin, { ...keyAdminGrants, snapshotHistory: ['PutItem', 'Query'] });
    grant(this.keyAdminRetention, keyAdminGrants);
    data.grantTable(this.keyAdmin.role, 'requestControls', REQUEST_CONTROL_GRANTS);
    keys.attachRootKeyStore(this.keyAdmin, 'manage');
    // 'manage': an executed CPRK deletion destroys the customer key in the store (ScheduleKeyDeletion in KMS).
    keys.attachRootKeyStore(this.keyAdminRetention, 'manage');

    // crypto-data-plane: the data plane and secrets; its jobs function re-encrypts stored secrets.
    const dataPlaneGrants: TableGrants = {
      keyCatalog: ['GetItem'],
      // BatchGetItem: the listing's rotation schedules; UpdateItem: settings, read counts, rotations; Query: the rotations-due index too.
      secrets: ['GetItem', 'BatchGetItem', 'PutItem', 'Query', 'UpdateItem', 'BatchWriteItem'],
      keyUsage: ['GetItem', 'UpdateItem'],
      // DeleteItem: the job runner deletes a shredded tenant's job.
      jobs: ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'DeleteItem'],
    };
    this.cryptoDataPlane = new KeyledgerFunction(this, 'CryptoDataPlane', {
      ...common,
      name: 'crypto-data-plane',
      description: 'keyledger crypto-data-plane: encrypt, decrypt, rewrap, data keys and secrets',
      settings: hierarchySettings,
      memorySize: 1024,
    });
    this.cryptoDataPlaneJobs = new KeyledgerFunction(this, 'CryptoDataPlaneJobs', {
      ...common,
      name: 'crypto-data-plane-jobs',
      description: 'keyledger crypto-data-plane: runs re-encryption jobs (after each rekey, on request, and on a schedule to resume) and scheduled secret rotations',
      settings: hierarchySettings,
      memorySize: 1024,
      timeout: Duration.minutes(15),
      deadLetterQueue: this.maintenanceDeadLetters,
    });
    for (const fn of [this.cryptoDataPlane, this.cryptoDataPlaneJobs]) {
      grant(fn, dataPlaneGrants);
      keys.attachRootKeyStore(fn, 'use');
    }
    data.grantTable(this.cryptoDataPlane.role, 'requestControls', REQUEST_CONTROL_GRANTS);
    for (const fn of [this.keyAdminRetention, this.cryptoDataPlaneJobs]) fn.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6) });

    // The destruction ledger after a table restore: the reader signs pages of the bucket; the
    // re-apply function destroys again what a signed page names (as key-admin's retention pass may: rekey, retire, shred, CPRK deletion).
    this.ledgerReader = new KeyledgerFunction(this, 'DestructionLedgerReader', {
      ...common,
      name: 'destruction-ledger',
      handler: 'readHandler',
      description: 'keyledger destruction ledger: answers one signed page of the ledger (S3, Object Lock) to the re-apply function',
      settings: {},
      timeout: Duration.minutes(1),
    });
    data.ledger.grantReadPages(this.ledgerReader);
    this.ledgerReapply = new KeyledgerFunction(this, 'LedgerReapply', {
      ...common,
      name: 'ledger-reapply',
      description: 'keyledger destruction ledger: after a table restore, destroys again what a signed page of the ledger names (keyledger backup reapply-ledger)',
      settings: hierarchySettings,
      timeout: Duration.minutes(15),
      // One page at a time: two runs at once would race each other's rekeys and destructions.
      reservedConcurrency: 1,
    });
    grant(this.ledgerReapply, keyAdminGrants);
    keys.attachRootKeyStore(this.ledgerReapply, 'manage');
    data.ledger.grantVerifyPages(this.ledgerReapply);

    const auditSettings = {
      auditLogTable: tableName('auditLog'),
      tenantClaim: context.tenantClaim,
      environmentName: context.stage,
      ...requestControlSettings,
    };
    this.auditProjector = new KeyledgerFunction(this, 'AuditProjector', {
      ...common,
      name: 'audit-projector',
      description: 'keyledger audit-projector: tenant logs API',
      settings: auditSettings,
    });
    data.grantTable(this.auditProjector.role, 'auditLog', ['GetItem', 'Query']);
    data.grantTable(this.auditProjector.role, 'requestControls', REQUEST_CONTROL_GRANTS);
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
    data.grantTable(this.auditProjectorEvents.role, 'auditLog', ['GetItem', 'PutItem', 'UpdateItem', 'Query']);
    this.auditProjectorEvents.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6) });
  }
}
