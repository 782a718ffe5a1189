import { DescribeClustersCommand, type CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';

export interface CloudHsmClusterCheck {
  clusterId: string;
  ok: boolean;
  state: string | null;
  activeHsms: Array<{ hsmId: string; availabilityZone: string }>;
  /** Where PKCS#11 clients must run: the cluster's VPC and subnets, and the security group that admits them. */
  network: { vpcId: string | null; securityGroupId: string | null; subnetIds: string[] };
  /** One clear sentence per failed condition; empty when ok. */
  problems: string[];
}

/** AWS KMS needs this of a cluster before a custom key store can be created or connected. */
export const MIN_ACTIVE_HSMS = 2;

/**
 * Whose rules the cluster must meet: `kms-key-store` (rootKeyMode kms-cloudhsm), AWS KMS's for a
 * custom key store (two ACTIVE HSMs in two availability zones); `pkcs11`, the functions' own,
 * which need one ACTIVE HSM to talk to (more is for availability, and CloudHSM's advice).
 */
export type ClusterRules = 'kms-key-store' | 'pkcs11';

/**
 * The operator check (used by `keyledger doctor` and the CDK custom resources): the CloudHSM
 * cluster exists, is ACTIVE, and has the ACTIVE HSMs `rules` ask for.
 */
export async function checkCloudHsmCluster(client: CloudHSMV2Client, clusterId: string, rules: ClusterRules = 'kms-key-store'): Promise<CloudHsmClusterCheck> {
  const result: CloudHsmClusterCheck = {
    clusterId,
    ok: false,
    state: null,
    activeHsms: [],
    network: { vpcId: null, securityGroupId: null, subnetIds: [] },
    problems: [],
  };
  let output;
  try {
    output = await client.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
  } catch (error) {
    const name = (error as Error)?.name ?? 'Error';
    result.problems.push(`CloudHSM DescribeClusters for ${clusterId} failed: ${name}. Check the region, the credentials and cloudhsm:DescribeClusters permission.`);
    return result;
  }
  const cluster = output.Clusters?.find((candidate) => candidate.ClusterId === clusterId);
  if (!cluster) {
    result.problems.push(`CloudHSM cluster ${clusterId} was not found in this account and region.`);
    return result;
  }
  result.state = cluster.State ?? null;
  result.network = {
    vpcId: cluster.VpcId ?? null,
    securityGroupId: cluster.SecurityGroup ?? null,
    subnetIds: Object.values(cluster.SubnetMapping ?? {}).sort(),
  };
  if (cluster.State !== 'ACTIVE') {
    result.problems.push(
      `CloudHSM cluster ${clusterId} is ${cluster.State ?? 'in an unknown state'}${cluster.StateMessage ? ` (${cluster.StateMessage})` : ''}; it must be ACTIVE (initialize and activate it first).`,
    );
  }
  result.activeHsms = (cluster.Hsms ?? [])
    .filter((hsm) => hsm.State === 'ACTIVE')
    .map((hsm) => ({ hsmId: hsm.HsmId ?? '?', availabilityZone: hsm.AvailabilityZone ?? '?' }));
  const zones = new Set(result.activeHsms.map((hsm) => hsm.availabilityZone));
  if (rules === 'pkcs11') {
    if (result.activeHsms.length === 0) {
      const others = (cluster.Hsms ?? []).map((hsm) => `${hsm.HsmId} is ${hsm.State}`);
      result.problems.push(`CloudHSM cluster ${clusterId} has no active HSM; PKCS#11 clients need at least one${others.length ? ` (${others.join(', ')})` : ''}.`);
    }
  } else if (result.activeHsms.length < MIN_ACTIVE_HSMS) {
    const others = (cluster.Hsms ?? []).filter((hsm) => hsm.State !== 'ACTIVE').map((hsm) => `${hsm.HsmId} is ${hsm.State}`);
    result.problems.push(
      `CloudHSM cluster ${clusterId} has ${result.activeHsms.length} active HSM${result.activeHsms.length === 1 ? '' : 's'}; at least ${MIN_ACTIVE_HSMS} are needed${others.length ? ` (${others.join(', ')})` : ''}.`,
    );
  } else if (zones.size < 2) {
    result.problems.push(
      `CloudHSM cluster ${clusterId}'s active HSMs are all in ${[...zones].join(', ')}; they must be in at least two availability zones.`,
    );
  }
  result.ok = result.problems.length === 0;
  return result;
}
