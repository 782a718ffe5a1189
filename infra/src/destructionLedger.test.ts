import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseContext } from './config';
import { createMultiRegionStacks } from './multiRegionApp';
import { fakeDashboardDist } from './testing/fakeDashboard';
import { actions, resourcesOf, statements, synth } from './testing/synthApp';

// Issue 19, item 3: in AWS, the destruction ledger in a store table restores do not roll back.
const kms = synth('kms');

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown };
/** The statements of the IAM policies attached to the role whose logical id matches `role`. */
function roleStatements(template: Template, role: RegExp): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => role.test(JSON.stringify((policy['Properties'] as { Roles: unknown }).Roles)))
    .flatMap((policy) => (policy['Properties'] as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement);
}
const s3Actions = (list: Statement[]) => list.flatMap(actions).filter((action) => action.startsWith('s3:')).sort();
const environmentOf = (template: Template, fn: RegExp) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => fn.test(id))![1]['Properties']['Environment']['Variables'] as Record<string, unknown>;

describe('the destruction ledger in AWS (S3 with Object Lock)', () => {
  it('is a versioned bucket whose objects are locked in compliance mode for 10 years by default, private, TLS only, logged, retained', () => {
    const data = kms.template(kms.stacks.data);
    const [ledger, ...others] = Object.entries(data.findResources('AWS::S3::Bucket')).filter(([, bucket]) => bucket['Properties']?.['ObjectLockEnabled']);
    expect(others).toEqual([]);
    expect(ledger![1]).toMatchObject({
      DeletionPolicy: 'RetainExceptOnCreate',
      Properties: {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3653 } } },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LoggingConfiguration: { LogFilePrefix: 'destruction-ledger/' },
      },
    });
    data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ledger![0] },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          // Only roles tagged as ledger writers add objects: nobody else may plant an entry that can never be deleted.
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Condition: { StringNotEquals: { 'aws:PrincipalTag/keyledger:destruction-ledger-writer': 'true' } } }),
        ]),
      },
    });
    const longer = synth('kms', { destructionLedgerRetentionDays: '4000' });
    longer.template(longer.stacks.data).hasResourceProperties('AWS::S3::Bucket', { ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 4000 } } } });
  });

  it('has an HMAC page key that only this stage\'s function roles may use, through IAM', () => {
    const data = kms.template(kms.stacks.data);
    const [key] = Object.values(data.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'HMAC_256' } }));
    expect(key).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', Properties: { KeyUsage: 'GENERATE_VERIFY_MAC' } });
    const use = (key!['Properties']['KeyPolicy'] as { Statement: Statement[] }).Statement.find((statement) => actions(statement).includes('kms:GenerateMac'))!;
    expect(use).toMatchObject({ Action: ['kms:GenerateMac', 'kms:VerifyMac'], Condition: { ArnLike: { 'aws:PrincipalArn': expect.anything() } } });
    expect(JSON.stringify(use.Condition)).toContain(':role/keyledger/test/');
  });

  it('lets the writer only add objects, the reader only read them and sign pages, the re-apply function only check pages: nobody deletes or unlocks', () => {
    const events = kms.template(kms.stacks.events);
    const services = kms.template(kms.stacks.services);
    const writer = roleStatements(events, /DestructionLedgerWriterRole/);
    expect(s3Actions(writer)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(writer.find((statement) => actions(statement).includes('s3:PutObject'))!.Resource)).toContain('/destructions/*');
    const reader = roleStatements(services, /DestructionLedgerReaderRole/);
    expect(s3Actions(reader)).toEqual(['s3:GetObjectVersion', 's3:ListBucketVersions']);
    expect(reader.find((statement) => actions(statement).includes('s3:ListBucketVersions'))!.Condition).toEqual({ StringLike: { 's3:prefix': 'destructions/*' } });
    expect(reader.flatMap(actions).filter((action) => action.startsWith('kms:'))).toEqual(['kms:GenerateMac']);
    const rebuild = roleStatements(events, /DestructionLedgerRebuildRole/);
    expect(s3Actions(rebuild)).toEqual(['s3:PutObject']);
    expect(rebuild.flatMap(actions).filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:Scan']);
    const tagged = (template: Template, role: RegExp) =>
      Object.entries(template.findResources('AWS::IAM::Role')).filter(([id, resource]) => role.test(id) && JSON.stringify(resource['Properties']['Tags']).includes('keyledger:destruction-ledger-writer'));
    expect(tagged(events, /^DestructionLedgerWriterRole/)).toHaveLength(1);
    expect(tagged(events, /^DestructionLedgerRebuildRole/)).toHaveLength(1);
    expect(tagged(services, /./)).toEqual([]);
    const reapply = roleStatements(services, /LedgerReapplyRole/);
    expect(s3Actions(reapply)).toEqual([]);
    expect(reapply.flatMap(actions)).toContain('kms:VerifyMac');
    expect(reapply.flatMap(actions)).not.toContain('kms:GenerateMac');
    for (const stack of kms.all) {
      const onLedger = (statement: Statement) => statement.Resource === '*' || JSON.stringify(statement.Resource ?? '').includes('DestructionLedger');
      const granted = (statements(kms.template(stack)) as Statement[]).filter((statement) => statement.Effect === 'Allow' && onLedger(statement)).flatMap(actions);
      expect(granted.filter((action) => /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|BypassGovernanceRetention|PutBucketObjectLockConfiguration|\*)/.test(action))).toEqual([]);
    }
    expect(Object.keys(environmentOf(events, /^DestructionLedgerWriterFunction/))).toContain('KEYLEDGER_DESTRUCTION_LEDGER_BUCKET');
    expect(environmentOf(services, /^LedgerReapplyFunction/)).toMatchObject({ KEYLEDGER_DESTRUCTION_LEDGER_MAC_KEY: expect.anything(), KEYLEDGER_ROOT_KEY_STORE: 'kms' });
    // One page at a time.
    services.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'keyledger-test-ledger-reapply', ReservedConcurrentExecutions: 1 });
  });

  it('records from the event table stream like the outbox, and alarms when it falls behind or gives up', () => {
    const events = kms.template(kms.stacks.events);
    events.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^DestructionLedgerWriterFunction') },
      StartingPosition: 'TRIM_HORIZON',
      // Until the record leaves the stream: a destruction is never skipped while S3 may still take it.
      MaximumRetryAttempts: -1,
    });
    const alarms = Object.values(kms.template(kms.stacks.observability).findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm['Properties']['AlarmName'] as string);
    expect(alarms).toEqual(expect.arrayContaining(['keyledger-test-destruction-ledger-iterator-age', 'keyledger-test-destruction-ledger-dlq-dead-letters', 'keyledger-test-ledger-reapply-errors', 'keyledger-test-outbox-iterator-age']));
  });

  it('multi-Region: every Region keeps a ledger of its own, written from its own replica\'s stream', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const context = parseContext(
      (key) => ({ stage: 'test', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'keyledger', rootKeyMode: 'kms', primaryRegion: 'eu-west-1', replicaRegions: 'eu-central-1' })[key],
    );
    createMultiRegionStacks(app, context, '111122223333', { dashboardDist: fakeDashboardDist() });
    const stacks = app.node.children.filter((child): child is Stack => (child as Stack).templateOptions !== undefined);
    const ledgers = stacks.flatMap((stack) =>
      Object.values(resourcesOf(Template.fromStack(stack)))
        .filter((resource) => resource.Type === 'AWS::S3::Bucket' && resource.Properties?.['ObjectLockEnabled'])
        .map(() => `${stack.stackName}@${stack.region}`),
    );
    expect(ledgers.sort()).toEqual(['keyledger-test-data@eu-west-1', 'keyledger-test-tables@eu-central-1']);
  });
});
