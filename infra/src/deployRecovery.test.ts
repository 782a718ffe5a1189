import type { Template } from 'aws-cdk-lib/assertions';
import { KEY_STORE_SERVICE, PROVIDER_TOTAL_TIMEOUT } from './cloudHsmProvider';
import { actions, resourcesOf, statements, synth } from './testing/synthApp';

// Issue 19, "a deploy that recovers": each finding of the review of the synthesized templates.
const kms = synth('kms');
const cloudHsm = synth('kms-cloudhsm');
const pkcs11 = synth('pkcs11');

/** An intrinsic resolved with fixed pseudo parameters: enough to read an ARN pattern as IAM would. */
function resolve(value: unknown, pseudo: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => resolve(part, pseudo)).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref && ref in pseudo) return pseudo[ref]!;
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** IAM's ArnLike: `*` is any run of characters (slashes included), `?` one. */
const arnLike = (pattern: string, arn: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(arn);

const PSEUDO = { 'AWS::Partition': 'aws', 'AWS::AccountId': '111122223333', 'AWS::Region': 'eu-west-1' };

/** The actions of every statement on the role whose logical id starts with `role`. */
function roleActions(template: Template, role: RegExp): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => role.test(JSON.stringify((policy['Properties'] as { Roles: unknown }).Roles)))
    .flatMap((policy) => (policy['Properties'] as { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } }).PolicyDocument.Statement)
    .flatMap(actions);
}

describe('a deploy that recovers', () => {
  it('retains what it retains except when its first create rolls back (no name is left taken)', () => {
    let retained = 0;
    const offending: string[] = [];
    for (const deployment of [kms, cloudHsm, pkcs11]) {
      for (const stack of deployment.all) {
        for (const [id, resource] of Object.entries(resourcesOf(deployment.template(stack)))) {
          const policy = (resource as { DeletionPolicy?: string }).DeletionPolicy;
          if (policy === 'Retain') offending.push(id);
          if (policy === 'RetainExceptOnCreate') retained += 1;
        }
      }
    }
    expect(offending).toEqual([]);
    // Tables, their key, the root key, the custom key store and the log groups.
    expect(retained).toBeGreaterThan(20);
    const tables = kms.template(kms.stacks.data).findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) expect(table).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  it('kms-cloudhsm: lets the key store\'s creator create KMS\'s service-linked role for custom key stores, and only that role', () => {
    const keys = cloudHsm.template(cloudHsm.stacks.keys);
    const linked = statements(keys).filter((statement) => actions(statement).includes('iam:CreateServiceLinkedRole'));
    expect(linked).toHaveLength(1);
    expect(linked[0]).toMatchObject({
      Effect: 'Allow',
      Condition: { StringEquals: { 'iam:AWSServiceName': KEY_STORE_SERVICE } },
    });
    expect(resolve(linked[0]!.Resource, PSEUDO)).toBe(
      'arn:aws:iam::111122223333:role/aws-service-role/cks.kms.amazonaws.com/AWSServiceRoleForKeyManagementServiceCustomKeyStores',
    );
  });

  it('kms-cloudhsm: gives each custom resource handler only the calls it makes', () => {
    const keys = cloudHsm.template(cloudHsm.stacks.keys);
    const onEvent = new Set(roleActions(keys, /OnEventRole/));
    const isComplete = new Set(roleActions(keys, /IsCompleteRole/));
    expect([...onEvent].filter((action) => /^(kms|iam|cloudhsm):/.test(action)).sort()).toEqual([
      'cloudhsm:DescribeClusters',
      'iam:CreateServiceLinkedRole',
      'kms:ConnectCustomKeyStore',
      'kms:CreateCustomKeyStore',
      'kms:DescribeCustomKeyStores',
      'kms:DisconnectCustomKeyStore',
      'kms:UpdateCustomKeyStore',
    ]);
    expect([...isComplete].filter((action) => /^(kms|iam|cloudhsm):/.test(action)).sort()).toEqual([
      'kms:ConnectCustomKeyStore',
      'kms:CreateAlias',
      'kms:CreateKey',
      'kms:DescribeCustomKeyStores',
      'kms:DescribeKey',
      'kms:PutKeyPolicy',
      'kms:TagResource',
      'kms:UpdateCustomKeyStore',
    ]);
    // pkcs11: only the cluster check.
    const checkOnly = new Set(roleActions(pkcs11.template(pkcs11.stacks.keys), /OnEventRole/));
    expect([...checkOnly].filter((action) => /^(kms|iam|cloudhsm):/.test(action))).toEqual(['cloudhsm:DescribeClusters']);
  });

  it('kms-cloudhsm: the waiter gives up before CloudFormation\'s one-hour limit for a custom resource', () => {
    expect(PROVIDER_TOTAL_TIMEOUT.toSeconds()).toBeLessThan(3600);
    const keys = cloudHsm.template(cloudHsm.stacks.keys);
    const [machine] = Object.values(keys.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine!['Properties']!['DefinitionString']);
    const retry = /\\"IntervalSeconds\\":(\d+),\\"MaxAttempts\\":(\d+)/.exec(definition) ?? /IntervalSeconds\\\\?":(\d+),\\\\?"MaxAttempts\\\\?":(\d+)/.exec(definition);
    expect(retry).not.toBeNull();
    const waited = Number(retry![1]) * Number(retry![2]);
    expect(waited).toBeLessThanOrEqual(PROVIDER_TOTAL_TIMEOUT.toSeconds());
    expect(waited).toBeGreaterThanOrEqual(20 * 60);
  });

  it('trusts, in the root key\'s policy, this stage\'s function roles in this Region only: not stage rev-2 for stage rev', () => {
    const rev = synth('kms', { stage: 'rev' });
    const keys = rev.template(rev.stacks.keys);
    const [key] = Object.values(keys.findResources('AWS::KMS::Key'));
    const useStatements = (key!['Properties']!['KeyPolicy'] as { Statement: Array<{ Sid: string; Condition?: { ArnLike?: Record<string, unknown> } }> }).Statement.filter(
      (statement) => statement.Condition?.ArnLike,
    );
    expect(useStatements.map((statement) => statement.Sid).sort()).toEqual(['KeyledgerFunctionsDescribe', 'KeyledgerFunctionsWrapAndUnwrap']);
    const services = rev.template(rev.stacks.services);
    const roles = Object.values(services.findResources('AWS::IAM::Role')).filter((role) => JSON.stringify(role['Properties']!['Path'] ?? '').includes('keyledger'));
    expect(roles.length).toBeGreaterThanOrEqual(6);
    for (const statement of useStatements) {
      const pattern = resolve(statement.Condition!.ArnLike!['aws:PrincipalArn'], PSEUDO);
      for (const role of roles) {
        // A role's ARN carries its path: arn:aws:iam::<account>:role/<path><name>.
        const path = resolve(role['Properties']!['Path'], PSEUDO);
        expect(arnLike(pattern, `arn:aws:iam::111122223333:role${path}keyledger-rev-services-KeyAdminRole-ABC123`)).toBe(true);
      }
      expect(arnLike(pattern, 'arn:aws:iam::111122223333:role/keyledger/rev-2/eu-west-1/keyledger-rev-2-services-KeyAdminRole-ABC123')).toBe(false);
      expect(arnLike(pattern, 'arn:aws:iam::111122223333:role/keyledger-rev-2-key-admin')).toBe(false);
      expect(arnLike(pattern, 'arn:aws:iam::111122223333:role/keyledger/rev/eu-central-1/keyledger-rev-services-KeyAdminRole-ABC123')).toBe(false);
    }
  });

  it('names no IAM role: CloudFormation names them per stack and Region, so one stage deploys to two Regions', () => {
    for (const stack of kms.all) {
      for (const role of Object.values(kms.template(stack).findResources('AWS::IAM::Role'))) {
        expect(role['Properties']!['RoleName']).toBeUndefined();
      }
    }
    kms.template(kms.stacks.services).hasResourceProperties('AWS::IAM::Role', {
      Path: { 'Fn::Join': ['', ['/keyledger/test/', { Ref: 'AWS::Region' }, '/']] },
      Description: 'Runs keyledger-test-key-admin',
    });
  });

  it('deploys no commit-log index and no Checkpoints table: nothing in AWS reads them (the outbox reads the stream)', () => {
    const data = kms.template(kms.stacks.data);
    const tables = Object.values(data.findResources('AWS::DynamoDB::Table')).map((table) => table['Properties'] as Record<string, unknown>);
    expect(tables.map((table) => table['TableName'])).not.toContain('keyledger-test-Checkpoints');
    const events = tables.find((table) => table['TableName'] === 'keyledger-test-Events')!;
    expect(events['GlobalSecondaryIndexes']).toBeUndefined();
    expect(events['StreamSpecification']).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(JSON.stringify(kms.all.map((stack) => kms.template(stack).toJSON()))).not.toContain('commit-log');
  });

  it('grants exactly what is used: no DeleteItem for the projector, no deployment tag for functions that create no BYOK key', () => {
    const services = kms.template(kms.stacks.services);
    const projector = roleActions(services, /AuditProjectorEventsRole/).filter((action) => action.startsWith('dynamodb:'));
    expect([...new Set(projector)].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const variables = (name: string) => {
      const [fn] = Object.values(services.findResources('AWS::Lambda::Function', { Properties: { FunctionName: name } }));
      return (fn!['Properties'] as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    };
    for (const name of ['keyledger-test-crypto-data-plane', 'keyledger-test-crypto-data-plane-jobs']) expect(variables(name)['KEYLEDGER_DEPLOYMENT']).toBeUndefined();
    for (const name of ['keyledger-test-key-admin', 'keyledger-test-key-admin-retention']) expect(variables(name)['KEYLEDGER_DEPLOYMENT']).toBe('test');
  });
});
