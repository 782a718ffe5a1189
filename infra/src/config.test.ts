import { parseContext } from './config';

const base = { stage: 'test', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'keyledger', rootKeyMode: 'kms' };
const parse = (context: Record<string, unknown>) => parseContext((key) => context[key]);

describe('CDK context', () => {
  it('accepts the minimum and fills in safe defaults', () => {
    expect(parse(base)).toEqual({
      ...base,
      tenantClaim: 'tenant_id',
      tenantRateLimit: 200,
      pkcs11TokenLabel: 'hsm1',
      namespaces: ['default', 'secrets'],
      logRetentionDays: 365,
      destructionLedgerRetentionDays: 3653,
      apiThrottleRateLimit: 500,
      apiThrottleBurstLimit: 1000,
      replicaRegions: [],
    });
  });

  it('the destruction ledger is locked at least as long as point-in-time recovery reaches back', () => {
    expect(parse({ ...base, destructionLedgerRetentionDays: '400' })).toMatchObject({ destructionLedgerRetentionDays: 400 });
    expect(() => parse({ ...base, destructionLedgerRetentionDays: '7' })).toThrow(/-c destructionLedgerRetentionDays: must be at least 35 days/);
  });

  it('multi-Region: a primary and distinct replicas, kms mode only, no rootKeyArn', () => {
    expect(parse({ ...base, primaryRegion: 'eu-west-1', replicaRegions: 'eu-central-1, us-east-1' })).toMatchObject({ primaryRegion: 'eu-west-1', replicaRegions: ['eu-central-1', 'us-east-1'] });
    expect(() => parse({ ...base, replicaRegions: 'eu-central-1' })).toThrow(/-c primaryRegion: is required with replicaRegions/);
    expect(() => parse({ ...base, primaryRegion: 'eu-west-1', replicaRegions: 'eu-west-1' })).toThrow(/-c replicaRegions: must be distinct Regions, none of them the primaryRegion/);
    expect(() => parse({ ...base, primaryRegion: 'eu-west-1', replicaRegions: 'mars-1' })).toThrow(/-c replicaRegions.*must be AWS Regions/);
    expect(parse({ ...base, primaryRegion: 'eu-west-1', replicaRegions: 'eu-central-1', writeRegion: 'eu-central-1' })).toMatchObject({ writeRegion: 'eu-central-1' });
    expect(() => parse({ ...base, primaryRegion: 'eu-west-1', replicaRegions: 'eu-central-1', writeRegion: 'us-east-1' })).toThrow(/-c writeRegion: must be the primaryRegion or one of the replicaRegions/);
    expect(() => parse({ ...base, rootKeyMode: 'pkcs11', cloudHsmClusterId: 'cluster-abc', primaryRegion: 'eu-west-1', replicaRegions: 'eu-central-1' })).toThrow(/needs rootKeyMode=kms/);
  });

  it('coerces numbers given on the command line', () => {
    expect(parse({ ...base, logRetentionDays: '731', apiThrottleRateLimit: '50' })).toMatchObject({ logRetentionDays: 731, apiThrottleRateLimit: 50 });
    // 0 turns the tenant rate limit off; a burst must be positive.
    expect(parse({ ...base, tenantRateLimit: '0', tenantRateLimitBurst: '10' })).toMatchObject({ tenantRateLimit: 0, tenantRateLimitBurst: 10 });
    expect(() => parse({ ...base, tenantRateLimitBurst: '0' })).toThrow(/-c tenantRateLimitBurst:/);
  });

  it('takes the dashboard\'s OIDC client id as written', () => {
    expect(parse({ ...base, dashboardClientId: 'aBc123XyZ_dashboard-spa' })).toMatchObject({ dashboardClientId: 'aBc123XyZ_dashboard-spa' });
    expect(parse(base).dashboardClientId).toBeUndefined();
  });

  it.each(['stage', 'jwtIssuer', 'jwtAudience', 'rootKeyMode'])('fails naming %s when it is missing', (key) => {
    const { [key]: _missing, ...rest } = base as Record<string, unknown>;
    expect(() => parse(rest)).toThrow(new RegExp(`-c ${key}: is required`));
  });

  it.each([
    [{ rootKeyMode: 'kms-cloudhsm' }, '-c cloudHsmClusterId: is required when rootKeyMode=kms-cloudhsm'],
    [{ rootKeyMode: 'pkcs11' }, '-c cloudHsmClusterId: is required when rootKeyMode=pkcs11'],
    [{ rootKeyMode: 'hsm' }, '-c rootKeyMode: must be kms, kms-cloudhsm or pkcs11'],
    [{ stage: 'Prod' }, "-c stage: must be 1-21 lowercase letters, digits or '-', starting with a letter"],
    [{ jwtIssuer: 'http://issuer.example.com/' }, '-c jwtIssuer: must be an https:// URL'],
    [{ rootKeyArn: 'alias/erk' }, '-c rootKeyArn: must be a KMS key ARN'],
    [
      { rootKeyMode: 'pkcs11', cloudHsmClusterId: 'cluster-abc123', rootKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      '-c rootKeyArn: applies to rootKeyMode=kms only',
    ],
    [{ cloudHsmClusterId: 'abc' }, '-c cloudHsmClusterId: must be a CloudHSM cluster id'],
    [{ logRetentionDays: '42' }, '-c logRetentionDays: must be one of 1, 3, 5'],
    [{ namespaces: 'Bad Name' }, '-c namespaces: namespaces are 1-63 lowercase letters'],
    [{ alarmTopicArn: 'topic' }, '-c alarmTopicArn: must be an SNS topic ARN'],
    [{ apiThrottleRateLimit: '-1' }, '-c apiThrottleRateLimit'],
    [{ retireQuietPeriod: '7 days' }, '-c retireQuietPeriod: must be an ISO 8601 duration'],
    [{ retireQuietPeriod: 'P20000D' }, '-c retireQuietPeriod: must be between PT0S and P3650D'],
    [{ usageFlushInterval: 'PT0S' }, '-c usageFlushInterval: must be between PT1S and P1D'],
    [{ dashboardClientId: 'my client' }, '-c dashboardClientId: must be an OIDC client id'],
    [{ dashboardClientId: '' }, '-c dashboardClientId: must be an OIDC client id'],
  ])('refuses %j with a message naming the key', (override, message) => {
    expect(() => parse({ ...base, ...override })).toThrow(message);
  });
});
