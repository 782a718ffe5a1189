import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { TABLES } from '@keyledger/dynamodb';
import { parseContext } from './config';
import { createMultiRegionStacks } from './multiRegionApp';
import { fakeDashboardDist } from './testing/fakeDashboard';

// Issue 19, item 1: `cdk synth -c primaryRegion=eu-west-1 -c replicaRegions=eu-central-1 ...`.
const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } });
const context = parseContext(
  (key) =>
    ({ stage: 'test', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'keyledger', rootKeyMode: 'kms', primaryRegion: 'eu-west-1', replicaRegions: 'eu-central-1' })[key],
);
const stacks = createMultiRegionStacks(app, context, '111122223333', { dashboardDist: fakeDashboardDist() });
const all: Stack[] = app.node.children.filter((child): child is Stack => (child as Stack).templateOptions !== undefined);
const templates = new Map(all.map((stack) => [stack, Template.fromStack(stack)]));
const template = (stack: Stack) => templates.get(stack)!;

describe('a multi-Region deployment (primaryRegion eu-west-1, replicaRegions eu-central-1)', () => {
  it('binds every stack to its Region, with the same CloudFormation names in each', () => {
    const byRegion = (region: string) => all.filter((stack) => stack.region === region).map((stack) => stack.stackName).sort();
    expect(byRegion('eu-west-1')).toEqual(
      ['keyledger-test-api', 'keyledger-test-data', 'keyledger-test-events', 'keyledger-test-keys', 'keyledger-test-observability', 'keyledger-test-services', 'keyledger-test-web', 'keyledger-test-web-content'].sort(),
    );
    expect(byRegion('eu-central-1')).toEqual(['keyledger-test-api', 'keyledger-test-events', 'keyledger-test-keys', 'keyledger-test-observability', 'keyledger-test-services', 'keyledger-test-tables'].sort());
  });

  it('makes every table a global table with a replica per Region, each with PITR, deletion protection and its Region\'s table key', () => {
    const data = template(stacks.data);
    data.resourceCountIs('AWS::DynamoDB::Table', 0);
    const tables = Object.values(data.findResources('AWS::DynamoDB::GlobalTable'));
    expect(tables.length).toBe(Object.values(TABLES).filter((table) => !('localOnly' in table)).length);
    for (const table of tables) {
      expect(table).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate' });
      const replicas = (table['Properties'] as { Replicas: Array<Record<string, unknown>> }).Replicas;
      expect(replicas.map((replica) => replica['Region']).sort()).toEqual(['eu-central-1', 'eu-west-1']);
      for (const replica of replicas) {
        expect(replica).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true, SSESpecification: { KMSMasterKeyId: expect.anything() } });
      }
      const central = JSON.stringify(replicas.find((replica) => replica['Region'] === 'eu-central-1')!['SSESpecification']);
      // The table key's replica there: the same key id, in eu-central-1.
      expect(central).toContain(':kms:eu-central-1:111122223333:key/');
      expect(central).toContain('TableKey');
    }
    const events = tables.find((table) => (table['Properties'] as { TableName: string }).TableName === 'keyledger-test-Events')!;
    expect(events['Properties']).toMatchObject({ StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    // The replica keys exist before the table replicas that use them.
    expect(stacks.data.dependencies).toContain(stacks.replicaKeys.get('eu-central-1'));
  });

  it('makes the root key and the table key multi-Region keys, each with a replica in eu-central-1 trusting that Region\'s roles', () => {
    const keys = template(stacks.keys);
    expect(Object.values(keys.findResources('AWS::KMS::Key')).map((key) => key['Properties']!['MultiRegion'])).toEqual([true, true]);
    // CloudFormation's ReplicaKey calls ReplicateKey on the primary: both primaries' policies allow it.
    for (const key of Object.values(keys.findResources('AWS::KMS::Key'))) expect(JSON.stringify(key['Properties']!['KeyPolicy'])).toContain('kms:ReplicateKey');
    const replica = template(stacks.replicaKeys.get('eu-central-1')!);
    const replicas = Object.values(replica.findResources('AWS::KMS::ReplicaKey'));
    expect(replicas).toHaveLength(2);
    for (const key of replicas) expect(key['Properties']!['PrimaryKeyArn']).toBeDefined();
    const rootReplica = replicas.find((key) => JSON.stringify(key['Properties']!['KeyPolicy']).includes('KeyledgerFunctionsWrapAndUnwrap'))!;
    expect(JSON.stringify(rootReplica['Properties']!['KeyPolicy'])).toContain(':role/keyledger/test/eu-central-1/*');
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/keyledger-test-erk' });
  });

  it('runs the services in each Region on that Region\'s replicas and root key replica, committing only in the primary', () => {
    for (const [region, regional] of stacks.regions) {
      const services = template(regional.services);
      const [keyAdmin] = Object.values(services.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'keyledger-test-key-admin' } }));
      const variables = (keyAdmin!['Properties'] as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(variables['KEYLEDGER_WRITE_REGION']).toBe('eu-west-1');
      // The primary's services import the tables' names; a replica Region's name its replicas (the same names).
      if (region === 'eu-west-1') expect(JSON.stringify(variables['KEYLEDGER_EVENTS_TABLE'])).toContain('keyledger-test-data:');
      else expect(variables['KEYLEDGER_EVENTS_TABLE']).toBe('keyledger-test-Events');
      // The root key of the keys stack of its own Region (an import works within one Region only: the replica's, in eu-central-1).
      expect(JSON.stringify(variables['KEYLEDGER_ROOT_KEY_ARN'])).toContain('keyledger-test-keys:');
      expect(regional.services.dependencies).toContain(region === 'eu-west-1' ? stacks.keys : stacks.replicaKeys.get(region));
      const statements = JSON.stringify(services.findResources('AWS::IAM::Policy'));
      if (region === 'eu-central-1') expect(statements).toContain(':dynamodb:eu-central-1:111122223333:table/keyledger-test-Events');
      // Each Region's outbox and destruction ledger writer read its own replica's stream.
      template(regional.events).resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      template(regional.api).resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    }
    const central = stacks.regions.get('eu-central-1')!;
    template(central.events).hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: Match.anyValue(), StartingPosition: 'TRIM_HORIZON' });
    // The outbox there reads its replica's stream under the table key's replica.
    const outboxPolicies = JSON.stringify(template(central.events).findResources('AWS::IAM::Policy'));
    expect(outboxPolicies).toContain('kms:Decrypt');
    expect(outboxPolicies).toContain('keyledger-test-keys:');
  });

  it('has no cdk-nag finding left unacknowledged, in any stack of any Region', () => {
    for (const stack of all) {
      const findings = [
        ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ];
      expect(findings.map((finding) => `${stack.stackName}@${stack.region} ${finding.id}: ${String(finding.entry.data).slice(0, 120)}`)).toEqual([]);
    }
  });
});
