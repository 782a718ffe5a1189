import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { LEDGER_PREFIX } from '@keyledger/destruction-ledger/layout';
import { keyAdministration, ledgerPageMacUse } from './keyPolicies';
import { addSettings, type KeyledgerFunction } from './keyledgerFunction';

/** The tag a role must carry to write ledger objects (the bucket policy refuses every other writer). */
export const LEDGER_WRITER_TAG = 'keyledger:destruction-ledger-writer';

export interface DestructionLedgerStoreProps {
  stage: string;
  /** How long each ledger object is locked (compliance mode), in days. */
  retentionDays: number;
  /** How long the bucket's access logs are kept, in days. */
  logRetentionDays: number;
}

/**
 * The destruction ledger of one Region, kept apart from the tables so that no table restore rolls
 * it back: an S3 bucket with Object Lock (versioned, every object locked in compliance mode for
 * `retentionDays`: nobody can delete or overwrite a version before then, the root user included),
 * with server access logs; and the KMS HMAC key its reader signs pages with and the re-apply
 * function checks them with. Both are retained when the stack goes (not when its first create
 * rolls back, while the bucket is still empty). The bucket's policy refuses object writes from
 * any role but the ledger's writers (tagged LEDGER_WRITER_TAG): an entry, once written, can never
 * be deleted, so no other principal with broad S3 rights may add one.
 */
export class DestructionLedgerStore extends Construct {
  readonly bucket: Bucket;
  readonly pageKey: Key;

  constructor(scope: Construct, id: string, props: DestructionLedgerStoreProps) {
    super(scope, id);
    // cdk-nag exempts a bucket that is the log target of another from logging itself (S1).
    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // S3 server access logs are delivered with an ACL (LogDeliveryWrite).
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.logRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // Entries hold ids, never key material: S3's own keys, so a lost KMS key cannot take the ledger with it.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'destruction-ledger/',
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheLedgerWritersAddObjects',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringNotEquals: { [`aws:PrincipalTag/${LEDGER_WRITER_TAG}`]: 'true' } },
      }),
    );
    this.pageKey = new Key(this, 'PageKey', {
      description: `keyledger ${props.stage}: MACs the destruction ledger's pages from its reader to the re-apply function`,
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      policy: new PolicyDocument({ statements: [keyAdministration(), ledgerPageMacUse(this, props.stage)] }),
    });
  }

  /** A writer (the stream writer, the rebuild): PutObject under the ledger's prefix, nothing else (no reads, no deletes, no retention changes). */
  grantRecord(fn: KeyledgerFunction): void {
    addSettings(fn, { destructionLedgerBucket: this.bucket.bucketName });
    Tags.of(fn.role).add(LEDGER_WRITER_TAG, 'true');
    fn.role.addToPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${LEDGER_PREFIX}*`)] }));
    this.suppressPrefixFinding(fn);
  }

  /** The reader: every version of the ledger's objects, and MACs made with the page key. */
  grantReadPages(fn: KeyledgerFunction): void {
    addSettings(fn, { destructionLedgerBucket: this.bucket.bucketName, destructionLedgerMacKey: this.pageKey.keyArn });
    fn.role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucketVersions'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': `${LEDGER_PREFIX}*` } } }));
    // Every read names its version (GetObject with VersionId needs GetObjectVersion only).
    fn.role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObjectVersion'], resources: [this.bucket.arnForObjects(`${LEDGER_PREFIX}*`)] }));
    fn.role.addToPolicy(new PolicyStatement({ actions: ['kms:GenerateMac'], resources: [this.pageKey.keyArn] }));
    this.suppressPrefixFinding(fn);
  }

  /** The re-apply function: checks pages' MACs, nothing in the bucket. */
  grantVerifyPages(fn: KeyledgerFunction): void {
    addSettings(fn, { destructionLedgerMacKey: this.pageKey.keyArn });
    fn.role.addToPolicy(new PolicyStatement({ actions: ['kms:VerifyMac'], resources: [this.pageKey.keyArn] }));
  }

  private suppressPrefixFinding(fn: KeyledgerFunction): void {
    NagSuppressions.addResourceSuppressions(
      fn.role,
      [{ id: 'AwsSolutions-IAM5', reason: `The ledger's objects are made at run time, one per destroying commit: access is limited to the bucket's ${LEDGER_PREFIX} prefix.`, appliesTo: [{ regex: `/^Resource::.*DestructionLedgerBucket.*\\/${LEDGER_PREFIX.replace('/', '')}\\/\\*$/` }] }],
      true,
    );
  }
}
