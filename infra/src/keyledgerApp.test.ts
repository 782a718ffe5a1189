import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { RECEIPT_KEYS_PATH, ROUTES } from '@keyledger/http';
import { readSettings } from '@keyledger/settings';
import { actions, resourcesOf, ROOT_KEY_ARN, statements, synth } from './testing/synthApp';

const deployments = {
  kms: synth('kms'),
  'kms-cloudhsm': synth('kms-cloudhsm'),
  pkcs11: synth('pkcs11'),
};

describe.each(Object.entries(deployments))('keyledger CDK app, rootKeyMode=%s', (_mode, deployment) => {
  it('has no cdk-nag AwsSolutions finding left unacknowledged, in any stack', () => {
    for (const stack of deployment.all) {
      const findings = [
        ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ];
      expect(findings.map((finding) => `${finding.id}: ${String(finding.entry.data).slice(0, 120)}`)).toEqual([]);
    }
  });

  it('includes the dashboard\'s stacks: hosting before the API (CORS), content after it (config.json)', () => {
    expect(deployment.all.map((stack) => stack.stackName)).toEqual(expect.arrayContaining(['keyledger-test-web', 'keyledger-test-api', 'keyledger-test-web-content']));
    expect(deployment.stacks.api.dependencies).toContain(deployment.stacks.web);
    expect(deployment.stacks.webContent.dependencies).toEqual(expect.arrayContaining([deployment.stacks.web, deployment.stacks.api]));
  });

  it('gives a reason with every cdk-nag acknowledgement', () => {
    let acknowledged = 0;
    for (const stack of deployment.all) {
      for (const resource of Object.values(resourcesOf(deployment.template(stack)))) {
        const rules = (resource.Metadata?.['cdk_nag'] as { rules_to_suppress?: Array<{ id: string; reason: string }> } | undefined)?.rules_to_suppress ?? [];
        for (const rule of rules) {
          acknowledged += 1;
          expect(rule.reason.length).toBeGreaterThan(40);
        }
      }
    }
    expect(acknowledged).toBeGreaterThan(0);
  });

  it('grants no *, kms:* or dynamodb:* action in any policy (IAM, key, queue or topic)', () => {
    const offending = deployment.all.flatMap((stack) =>
      statements(deployment.template(stack)).filter((statement) => actions(statement).some((action) => ['*', 'kms:*', 'dynamodb:*'].includes(action))),
    );
    expect(offending).toEqual([]);
  });

  it('keeps every table recoverable, undeletable and encrypted with the customer-managed key', () => {
    const data = deployment.template(deployment.stacks.data);
    const tables = data.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables).length).toBeGreaterThan(0);
    for (const table of Object.values(tables)) {
      expect(table).toMatchObject({
        DeletionPolicy: 'RetainExceptOnCreate',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^TableKey/), 'Arn'] } },
        },
      });
    }
  });

  it('puts the JWT authorizer on every route but the public receipt keys, and leaves the scopes to the handler (which reads scope, scp and permissions)', () => {
    const api = deployment.template(deployment.stacks.api);
    api.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://issuer.example.com/', Audience: ['keyledger'] },
    });
    const all = Object.values(api.findResources('AWS::ApiGatewayV2::Route')).map((route) => route['Properties'] as Record<string, unknown>);
    const publicKey = `GET ${RECEIPT_KEYS_PATH}`;
    expect(all.map((route) => route['RouteKey']).sort()).toEqual([...ROUTES.map((route) => `${route.method} ${route.path}`), publicKey].sort());
    // The receipt keys' JWKS is public (public keys only), and goes to key-admin.
    const jwks = all.find((route) => route['RouteKey'] === publicKey)!;
    expect(jwks['AuthorizationType'] ?? 'NONE').toBe('NONE');
    expect(jwks['AuthorizerId']).toBeUndefined();
    expect(JSON.stringify(jwks['Target'])).toMatch(/keyadmin/i);
    const routes = all.filter((route) => route !== jwks);
    for (const route of routes) {
      const definition = ROUTES.find((candidate) => `${candidate.method} ${candidate.path}` === route['RouteKey'])!;
      expect(route).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: expect.stringMatching(/JwtAuthorizer/) } });
      expect(definition.scopes.length).toBeGreaterThan(0);
      // Gateway scopes would refuse a token with only `permissions` (Auth0 RBAC) that the handler accepts.
      expect(route['AuthorizationScopes']).toBeUndefined();
    }
  });

  it('throttles the API stage and writes JSON access logs', () => {
    deployment.template(deployment.stacks.api).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
    });
  });

  it('gives every asynchronous consumer a dead-letter queue', () => {
    const events = deployment.template(deployment.stacks.events);
    const mappings = Object.values(events.findResources('AWS::Lambda::EventSourceMapping'));
    // The outbox and the destruction ledger's writer read the event table's stream, each with its own queue.
    expect(mappings).toHaveLength(2);
    for (const [fn, queue] of [['OutboxPublisher', 'OutboxDeadLetters'], ['DestructionLedgerWriter', 'LedgerDeadLetters']]) {
      expect(mappings).toContainEqual(
        expect.objectContaining({
          Properties: expect.objectContaining({
            FunctionName: { Ref: expect.stringMatching(new RegExp(`^${fn}Function`)) },
            BisectBatchOnFunctionError: true,
            FunctionResponseTypes: ['ReportBatchItemFailures'],
            DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${queue}`)), 'Arn'] } } },
          }),
        }),
      );
    }
    const rules = Object.values(events.findResources('AWS::Events::Rule'));
    // The audit projector, the two job triggers, and the three schedules (jobs, retention, rotations).
    expect(rules).toHaveLength(6);
    for (const rule of rules) {
      for (const target of (rule['Properties'] as { Targets: Array<Record<string, unknown>> }).Targets) {
        expect(target['DeadLetterConfig']).toEqual({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^(AuditRule|MaintenanceRule)DeadLetters/), 'Arn'] } });
      }
    }
    const schedules = rules.map((rule) => (rule['Properties'] as { ScheduleExpression?: string }).ScheduleExpression).filter(Boolean).sort();
    expect(schedules).toEqual(['rate(1 minute)', 'rate(5 minutes)', 'rate(5 minutes)']);
    // The rotation schedule's input says which pass to run.
    expect(JSON.stringify(rules)).toContain(JSON.stringify(JSON.stringify({ pass: 'rotations' })));
    // EventBridge invokes these asynchronously: what Lambda's own retries cannot fix lands in a queue too.
    const services = deployment.template(deployment.stacks.services);
    for (const [name, queue] of [
      ['audit-projector-event', 'AuditProjectorDeadLetters'],
      ['crypto-data-plane-jobs', 'MaintenanceDeadLetters'],
      ['key-admin-retention', 'MaintenanceDeadLetters'],
    ]) {
      services.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `keyledger-test-${name}`,
        DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${queue}`), 'Arn'] } },
      });
    }
    for (const queue of Object.values(events.findResources('AWS::SQS::Queue'))) {
      expect(queue['Properties']).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    }
  });

  it('runs every keyledger function on nodejs22.x, arm64, with its own log group and retention', () => {
    const functions = deployment.all.flatMap((stack) =>
      Object.values(deployment.template(stack).findResources('AWS::Lambda::Function')).filter((fn) =>
        String((fn['Properties'] as { FunctionName?: unknown }).FunctionName ?? '').startsWith('keyledger-'),
      ),
    );
    expect(functions.length).toBeGreaterThanOrEqual(5);
    for (const fn of functions) {
      expect(fn['Properties']).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], LoggingConfig: { LogGroup: expect.anything() } });
    }
    deployment.template(deployment.stacks.services).hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/keyledger-test-key-admin',
      RetentionInDays: 365,
    });
  });

  it('alarms on errors, throttles, dead letters, outbox iterator age and API 5xx, to an encrypted topic', () => {
    const observability = deployment.template(deployment.stacks.observability);
    const alarms = Object.values(observability.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm['Properties'] as Record<string, unknown>);
    const names = alarms.map((alarm) => alarm['AlarmName']);
    for (const name of ['key-admin-errors', 'crypto-data-plane-throttles', 'outbox-dlq-dead-letters', 'audit-rule-dlq-dead-letters', 'audit-projector-dlq-dead-letters', 'outbox-iterator-age', 'api-5xx']) {
      expect(names).toContain(`keyledger-test-${name}`);
    }
    expect(alarms.find((alarm) => alarm['AlarmName'] === 'keyledger-test-outbox-iterator-age')).toMatchObject({ MetricName: 'IteratorAge', Threshold: 60000 });
    for (const alarm of alarms) expect(alarm['AlarmActions']).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
    observability.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });
});

describe('the environment root key', () => {
  it('kms: is a rotating symmetric key that only this stage\'s function roles may wrap and unwrap with, with a tenant in the context', () => {
    const keys = deployments.kms.template(deployments.kms.stacks.keys);
    keys.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Encrypt', 'kms:Decrypt'],
            Condition: {
              ArnLike: { 'aws:PrincipalArn': { 'Fn::Join': ['', Match.arrayWith([':role/keyledger/test/', { Ref: 'AWS::Region' }, '/*'])] } },
              Null: { 'kms:EncryptionContext:keyledger:tenant': 'false' },
            },
          }),
        ]),
      },
    });
    keys.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/keyledger-test-erk' });
    deployments.kms.template(deployments.kms.stacks.services).hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'keyledger-test-key-admin',
      Environment: { Variables: Match.objectLike({ KEYLEDGER_ROOT_KEY_STORE: 'kms', KEYLEDGER_ROOT_KEY_ARN: Match.anyValue(), KEYLEDGER_DEPLOYMENT: 'test' }) },
    });
  });

  it('gives the functions the retirement settings of the context', () => {
    const deployment = synth('kms', { retireQuietPeriod: 'P14D', usageFlushInterval: 'PT30S' });
    const services = deployment.template(deployment.stacks.services);
    for (const name of ['keyledger-test-key-admin', 'keyledger-test-crypto-data-plane']) {
      services.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: name,
        Environment: { Variables: Match.objectLike({ KEYLEDGER_RETIRE_QUIET_PERIOD: 'P14D', KEYLEDGER_USAGE_FLUSH_INTERVAL: 'PT30S' }) },
      });
    }
    // Unset, the functions use the settings' own defaults (written once, in @keyledger/settings).
    const defaults = deployments.kms.template(deployments.kms.stacks.services).findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'keyledger-test-key-admin' } });
    const variables = (Object.values(defaults)[0]!['Properties'] as { Environment: { Variables: Record<string, string> } }).Environment.Variables;
    expect(readSettings(['retireQuietPeriod', 'usageFlushInterval'], variables)).toEqual({ retireQuietPeriod: 7 * 86_400_000, usageFlushInterval: 60_000 });
  });

  it('gives every API function the tenant rate limit (200/s by default) and the RequestControls table', () => {
    const apiFunctions = ['keyledger-test-key-admin', 'keyledger-test-crypto-data-plane', 'keyledger-test-audit-projector'];
    const controls = (template: ReturnType<typeof deployments.kms.template>, name: string) => {
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: name } }));
      const variables = (fn!['Properties'] as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      return { rate: variables['KEYLEDGER_RATE_LIMIT'], burst: variables['KEYLEDGER_RATE_LIMIT_BURST'], table: JSON.stringify(variables['KEYLEDGER_REQUEST_CONTROLS_TABLE']) };
    };
    const defaults = deployments.kms.template(deployments.kms.stacks.services);
    for (const name of apiFunctions) expect(controls(defaults, name)).toEqual({ rate: '200', burst: undefined, table: expect.stringMatching(/RequestControls/) });
    const tuned = synth('kms', { tenantRateLimit: '50', tenantRateLimitBurst: '120' });
    for (const name of apiFunctions) expect(controls(tuned.template(tuned.stacks.services), name)).toMatchObject({ rate: '50', burst: '120' });
    deployments.kms.template(deployments.kms.stacks.data).hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'keyledger-test-RequestControls',
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('kms with rootKeyArn: uses that key and creates none', () => {
    const deployment = synth('kms', { rootKeyArn: ROOT_KEY_ARN });
    deployment.template(deployment.stacks.keys).resourceCountIs('AWS::KMS::Key', 0);
    // CloudFormation refuses a template without resources: the stack still publishes where the key is.
    deployment.template(deployment.stacks.keys).hasResourceProperties('AWS::SSM::Parameter', { Name: '/keyledger/test/root-key-arn', Value: ROOT_KEY_ARN });
    deployment.template(deployment.stacks.services).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], Resource: ROOT_KEY_ARN }]) },
    });
  });

  it('kms: lets key-admin manage only EXTERNAL customer keys tagged with this deployment, never the root key', () => {
    const deployment = synth('kms', { rootKeyArn: ROOT_KEY_ARN });
    deployment.template(deployment.stacks.services).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^KeyAdminRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['kms:CreateKey', 'kms:TagResource'],
            Resource: '*',
            Condition: {
              StringEquals: { 'kms:KeyOrigin': 'EXTERNAL', 'aws:RequestTag/keyledger:deployment': 'test' },
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['keyledger:tenant', 'keyledger:deployment'] },
            },
          },
          {
            Effect: 'Deny',
            Action: ['kms:TagResource', 'kms:ImportKeyMaterial', 'kms:DeleteImportedKeyMaterial', 'kms:ScheduleKeyDeletion'],
            Resource: ROOT_KEY_ARN,
          },
        ]),
      },
    });
  });

  it('gives each function exactly the DynamoDB actions its adapters use', () => {
    const services = deployments.kms.template(deployments.kms.stacks.services);
    const dynamoActions = (role: RegExp) =>
      Object.values(services.findResources('AWS::IAM::Policy'))
        .filter((policy) => role.test(JSON.stringify((policy['Properties'] as { Roles: unknown }).Roles)))
        .flatMap((policy) => (policy['Properties'] as { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } }).PolicyDocument.Statement)
        .flatMap(actions)
        .filter((action) => action.startsWith('dynamodb:'))
        .sort();
    expect([...new Set(dynamoActions(/AuditProjectorRole/))]).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect([...new Set(dynamoActions(/AuditProjectorEventsRole/))]).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect([...new Set(dynamoActions(/KeyAdminRole/))]).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    // The data plane reads the catalog only; it never destroys a key.
    const tableActions = (role: RegExp, table: string) =>
      Object.values(services.findResources('AWS::IAM::Policy'))
        .filter((policy) => role.test(JSON.stringify((policy['Properties'] as { Roles: unknown }).Roles)))
        .flatMap((policy) => (policy['Properties'] as { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } }).PolicyDocument.Statement)
        .filter((statement) => JSON.stringify(statement.Resource).includes(table))
        .flatMap(actions)
        .sort();
    expect(tableActions(/CryptoDataPlaneRole/, 'KeyCatalog')).toEqual(['dynamodb:GetItem']);
    // Every function that commits to a hierarchy adds its snapshots to the history; only key-admin's API reads it (GET /v1/keys/as-of).
    expect(tableActions(/KeyAdminRole/, 'SnapshotHistory')).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    for (const role of [/KeyAdminRetentionRole/, /CryptoDataPlaneRole/, /CryptoDataPlaneJobsRole/]) expect(tableActions(role, 'SnapshotHistory')).toEqual(['dynamodb:PutItem']);
    for (const role of [/AuditProjectorRole/, /AuditProjectorEventsRole/]) expect(tableActions(role, 'SnapshotHistory')).toEqual([]);
    // key-admin reads what depends on a key (a count, and an older tenant's marker), and never writes a secret: it only
    // deletes a shredded tenant's (BatchWriteItem), with its usage counts and jobs; a receipt reads the audit chain head.
    for (const role of [/KeyAdminRole/, /KeyAdminRetentionRole/]) {
      expect([...new Set(tableActions(role, 'Secrets'))]).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Query']);
      expect([...new Set(tableActions(role, 'KeyUsage'))]).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Query']);
      expect([...new Set(tableActions(role, 'Jobs'))]).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:Query']);
      expect([...new Set(tableActions(role, 'AuditLog'))]).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    }
    // The logs API only reads the log; what it writes is its rate-limit buckets and idempotency records.
    expect([...new Set(tableActions(/AuditProjectorRole/, 'AuditLog'))]).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    const controls = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
    for (const role of [/KeyAdminRole/, /CryptoDataPlaneRole/, /AuditProjectorRole/]) expect([...new Set(tableActions(role, 'RequestControls'))]).toEqual(controls);
    // Background functions take no requests, so they get no request controls.
    for (const role of [/KeyAdminRetentionRole/, /CryptoDataPlaneJobsRole/, /AuditProjectorEventsRole/]) expect(tableActions(role, 'RequestControls')).toEqual([]);
  });

  it('kms-cloudhsm: a custom resource checks the cluster, creates and connects the key store and makes the root key in it', () => {
    const deployment = deployments['kms-cloudhsm'];
    const keys = deployment.template(deployment.stacks.keys);
    keys.resourceCountIs('AWS::KMS::Key', 0);
    keys.hasResourceProperties('Custom::KeyledgerCustomKeyStore', {
      Kind: 'CustomKeyStore',
      ClusterId: 'cluster-abc123',
      CustomKeyStoreName: 'keyledger-test',
      SecretId: 'keyledger/test/cloudhsm-key-store',
      RootKeyAlias: 'alias/keyledger-test-erk',
      RootKeyPolicy: Match.anyValue(),
    });
    keys.hasResource('Custom::KeyledgerCustomKeyStore', { DeletionPolicy: 'RetainExceptOnCreate' });
    keys.hasResourceProperties('AWS::StepFunctions::StateMachine', Match.anyValue());
    deployment.template(deployment.stacks.services).hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'keyledger-test-crypto-data-plane',
      Environment: { Variables: Match.objectLike({ KEYLEDGER_ROOT_KEY_STORE: 'kms', KEYLEDGER_ROOT_KEY_ARN: { 'Fn::ImportValue': Match.stringLikeRegexp('RootKeyArn') } }) },
    });
  });

  it('pkcs11: functions run in the cluster\'s subnets with its security group, reading the PIN from Secrets Manager', () => {
    const deployment = synth('pkcs11', { pkcs11LayerArn: 'arn:aws:lambda:eu-west-1:111122223333:layer:cloudhsm-pkcs11:3' });
    deployment.template(deployment.stacks.keys).hasResourceProperties('Custom::KeyledgerCloudHsmCluster', { Kind: 'ClusterCheck', ClusterId: 'cluster-abc123' });
    const services = deployment.template(deployment.stacks.services);
    for (const name of ['key-admin', 'crypto-data-plane']) {
      services.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `keyledger-test-${name}`,
        Layers: ['arn:aws:lambda:eu-west-1:111122223333:layer:cloudhsm-pkcs11:3'],
        VpcConfig: { SubnetIds: { 'Fn::Split': [',', { 'Fn::ImportValue': Match.stringLikeRegexp('SubnetIds') }] }, SecurityGroupIds: [{ 'Fn::ImportValue': Match.stringLikeRegexp('SecurityGroupId') }] },
        Environment: {
          Variables: Match.objectLike({
            KEYLEDGER_ROOT_KEY_STORE: 'pkcs11',
            KEYLEDGER_PKCS11_TOKEN_LABEL: 'hsm1',
            KEYLEDGER_PKCS11_PIN_SECRET_ARN: Match.anyValue(),
          }),
        },
      });
    }
    expect(JSON.stringify(services.toJSON())).not.toContain('KEYLEDGER_ROOT_KEY_ARN');
  });
});
