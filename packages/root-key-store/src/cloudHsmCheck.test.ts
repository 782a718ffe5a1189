import { CloudHSMV2Client, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { checkCloudHsmCluster } from './cloudHsmCheck';

// The registry serves client-cloudhsm-v2 only up to 3.332, whose smithy types predate the
// aws-sdk-client-mock typings; the mock itself works on it, so only the types are bridged.
const cloudhsm = mockClient(CloudHSMV2Client as never);
const DescribeClusters = DescribeClustersCommand as never;
const ID = 'cluster-abc123';
const hsm = (HsmId: string, AvailabilityZone: string, State = 'ACTIVE') => ({ HsmId, AvailabilityZone, State });
const check = () => checkCloudHsmCluster(new CloudHSMV2Client({ region: 'eu-west-1' }), ID);
const respond = (cluster: { State?: string; Hsms?: ReadonlyArray<{ HsmId: string; AvailabilityZone: string; State: string }> } | undefined) =>
  cloudhsm.on(DescribeClusters).resolves({ Clusters: cluster ? [{ ClusterId: ID, ...cluster }] : [] } as never);

beforeEach(() => cloudhsm.reset());

describe('checkCloudHsmCluster', () => {
  it('passes an ACTIVE cluster with two active HSMs in two zones, asking DescribeClusters for that cluster only', async () => {
    cloudhsm.on(DescribeClusters).resolves({
      Clusters: [
        {
          ClusterId: ID,
          State: 'ACTIVE',
          Hsms: [hsm('hsm-1', 'eu-west-1a'), hsm('hsm-2', 'eu-west-1b')],
          VpcId: 'vpc-0abc',
          SecurityGroup: 'sg-0hsm',
          SubnetMapping: { 'eu-west-1b': 'subnet-0b', 'eu-west-1a': 'subnet-0a' },
        },
      ],
    } as never);
    expect(await check()).toEqual({
      clusterId: ID,
      ok: true,
      state: 'ACTIVE',
      activeHsms: [
        { hsmId: 'hsm-1', availabilityZone: 'eu-west-1a' },
        { hsmId: 'hsm-2', availabilityZone: 'eu-west-1b' },
      ],
      network: { vpcId: 'vpc-0abc', securityGroupId: 'sg-0hsm', subnetIds: ['subnet-0a', 'subnet-0b'] },
      problems: [],
    });
    expect((cloudhsm.commandCalls(DescribeClusters)[0]!.args[0] as { input: unknown }).input).toEqual({ Filters: { clusterIds: [ID] } });
  });

  it.each([
    ['not found', undefined, `CloudHSM cluster ${ID} was not found in this account and region.`],
    [
      'not active',
      { State: 'UNINITIALIZED', Hsms: [hsm('hsm-1', 'eu-west-1a'), hsm('hsm-2', 'eu-west-1b')] },
      `CloudHSM cluster ${ID} is UNINITIALIZED; it must be ACTIVE (initialize and activate it first).`,
    ],
    [
      'one active HSM',
      { State: 'ACTIVE', Hsms: [hsm('hsm-1', 'eu-west-1a'), hsm('hsm-2', 'eu-west-1b', 'CREATE_IN_PROGRESS')] },
      `CloudHSM cluster ${ID} has 1 active HSM; at least 2 are needed (hsm-2 is CREATE_IN_PROGRESS).`,
    ],
    [
      'one zone',
      { State: 'ACTIVE', Hsms: [hsm('hsm-1', 'eu-west-1a'), hsm('hsm-2', 'eu-west-1a')] },
      `CloudHSM cluster ${ID}'s active HSMs are all in eu-west-1a; they must be in at least two availability zones.`,
    ],
  ] as const)('fails a cluster that is %s, with a message that says so', async (_case, cluster, message) => {
    respond(cluster);
    const result = await check();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([message]);
  });

  it('pkcs11 rules: one active HSM in one zone is enough; none is not', async () => {
    const pkcs11 = () => checkCloudHsmCluster(new CloudHSMV2Client({ region: 'eu-west-1' }), ID, 'pkcs11');
    respond({ State: 'ACTIVE', Hsms: [hsm('hsm-1', 'eu-west-1a'), hsm('hsm-2', 'eu-west-1a', 'CREATE_IN_PROGRESS')] });
    expect(await pkcs11()).toMatchObject({ ok: true, problems: [], activeHsms: [{ hsmId: 'hsm-1', availabilityZone: 'eu-west-1a' }] });
    // The same cluster fails a KMS key store's rules.
    expect((await check()).ok).toBe(false);
    cloudhsm.reset();
    respond({ State: 'ACTIVE', Hsms: [hsm('hsm-1', 'eu-west-1a', 'DEGRADED')] });
    expect((await pkcs11()).problems).toEqual([`CloudHSM cluster ${ID} has no active HSM; PKCS#11 clients need at least one (hsm-1 is DEGRADED).`]);
  });

  it('reports an API failure by its error name', async () => {
    cloudhsm.on(DescribeClusters).rejects(Object.assign(new Error('denied'), { name: 'CloudHsmAccessDeniedException' }) as never);
    expect((await check()).problems).toEqual([
      `CloudHSM DescribeClusters for ${ID} failed: CloudHsmAccessDeniedException. Check the region, the credentials and cloudhsm:DescribeClusters permission.`,
    ]);
  });
});
