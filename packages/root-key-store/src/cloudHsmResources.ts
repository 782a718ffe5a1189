import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import {
  ConnectCustomKeyStoreCommand,
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  PutKeyPolicyCommand,
  type CustomKeyStoresListEntry,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { checkCloudHsmCluster } from './cloudHsmCheck';

/**
 * The CDK app's custom resources for CloudHSM (the Provider framework calls these):
 *
 * - `ClusterCheck` runs the operator check before anything uses the cluster, fails the
 *   deployment with the check's own sentences, and returns where PKCS#11 clients must run
 *   (VPC, subnets, the cluster's security group).
 * - `CustomKeyStore` runs the same check, then creates (or adopts, by name) an AWS KMS custom key
 *   store on the cluster and connects it; `isComplete` waits for CONNECTED, then creates the
 *   environment root key in it under its alias (CloudFormation cannot create a key with origin
 *   AWS_CLOUDHSM), or re-applies the key policy to the one already there. Deleting the resource
 *   leaves key store and key in place: the root key is retained, like the other modes' keys.
 */
export interface CloudHsmResourceClients {
  cloudHsm: CloudHSMV2Client;
  kms: KMSClient;
  secretsManager: SecretsManagerClient;
}

/** The subset of the CloudFormation custom resource event the Provider framework hands over. */
export interface CloudHsmResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
}

export interface CloudHsmResourceResponse {
  PhysicalResourceId?: string;
  Data?: Record<string, string>;
}

const clusterCheckProperties = z.object({
  Kind: z.literal('ClusterCheck'),
  ClusterId: z.string().min(1),
});

const customKeyStoreProperties = z.object({
  Kind: z.literal('CustomKeyStore'),
  ClusterId: z.string().min(1),
  CustomKeyStoreName: z.string().min(1),
  /** A Secrets Manager secret the operator fills before deploying: `{kmsuserPassword, trustAnchorCertificate}`. */
  SecretId: z.string().min(1),
  RootKeyAlias: z.string().startsWith('alias/'),
  RootKeyDescription: z.string().min(1),
  /** The key policy, as JSON. */
  RootKeyPolicy: z.string().min(2),
});

const properties = z.discriminatedUnion('Kind', [clusterCheckProperties, customKeyStoreProperties]);

const keyStoreSecret = z.object({
  kmsuserPassword: z.string().min(7).max(32),
  trustAnchorCertificate: z.string().includes('BEGIN CERTIFICATE', { message: 'must be the PEM of the cluster\'s customerCA.crt' }),
});

export function createCloudHsmResourceHandlers(clients: CloudHsmResourceClients) {
  async function checkedCluster(clusterId: string) {
    const check = await checkCloudHsmCluster(clients.cloudHsm, clusterId);
    if (!check.ok) throw new Error(check.problems.join(' '));
    return check;
  }

  async function readKeyStoreSecret(secretId: string) {
    const output = await clients.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(output.SecretString ?? '');
    } catch {
      throw new Error(`Secret ${secretId} must hold JSON {"kmsuserPassword": ..., "trustAnchorCertificate": ...}.`);
    }
    const result = keyStoreSecret.safeParse(parsed);
    // Name the field, never echo its value: the secret holds the kmsuser password.
    if (!result.success) throw new Error(`Secret ${secretId}: ${result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}.`);
    return result.data;
  }

  async function findKeyStore(query: { CustomKeyStoreName?: string; CustomKeyStoreId?: string }): Promise<CustomKeyStoresListEntry | undefined> {
    try {
      const output = await clients.kms.send(new DescribeCustomKeyStoresCommand(query));
      return output.CustomKeyStores?.[0];
    } catch (error) {
      if ((error as Error).name === 'CustomKeyStoreNotFoundException') return undefined;
      throw error;
    }
  }

  /** The root key under its alias: created in the connected key store, or its policy re-applied. */
  async function ensureRootKey(storeId: string, props: z.output<typeof customKeyStoreProperties>): Promise<string> {
    let existing;
    try {
      existing = (await clients.kms.send(new DescribeKeyCommand({ KeyId: props.RootKeyAlias }))).KeyMetadata;
    } catch (error) {
      if ((error as Error).name !== 'NotFoundException') throw error;
    }
    if (existing) {
      if (existing.CustomKeyStoreId !== storeId) {
        throw new Error(`${props.RootKeyAlias} names key ${existing.KeyId}, which is not in custom key store ${storeId}.`);
      }
      await clients.kms.send(new PutKeyPolicyCommand({ KeyId: existing.KeyId, PolicyName: 'default', Policy: props.RootKeyPolicy }));
      return existing.Arn!;
    }
    const created = await clients.kms.send(
      new CreateKeyCommand({
        Origin: 'AWS_CLOUDHSM',
        CustomKeyStoreId: storeId,
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        Description: props.RootKeyDescription,
        Policy: props.RootKeyPolicy,
        Tags: [{ TagKey: 'keyledger:role', TagValue: 'environment-root-key' }],
      }),
    );
    const key = created.KeyMetadata!;
    await clients.kms.send(new CreateAliasCommand({ AliasName: props.RootKeyAlias, TargetKeyId: key.KeyId }));
    return key.Arn!;
  }

  async function ensureKeyStore(props: z.output<typeof customKeyStoreProperties>): Promise<CloudHsmResourceResponse> {
    await checkedCluster(props.ClusterId);
    let store = await findKeyStore({ CustomKeyStoreName: props.CustomKeyStoreName });
    if (store && store.CloudHsmClusterId !== props.ClusterId) {
      throw new Error(
        `Custom key store ${props.CustomKeyStoreName} already exists on cluster ${store.CloudHsmClusterId}, not ${props.ClusterId}; choose another stage or cluster.`,
      );
    }
    if (!store) {
      const secret = await readKeyStoreSecret(props.SecretId);
      const created = await clients.kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: props.CustomKeyStoreName,
          CloudHsmClusterId: props.ClusterId,
          TrustAnchorCertificate: secret.trustAnchorCertificate,
          KeyStorePassword: secret.kmsuserPassword,
        }),
      );
      store = { CustomKeyStoreId: created.CustomKeyStoreId, ConnectionState: 'DISCONNECTED' };
    }
    const id = store.CustomKeyStoreId!;
    if (store.ConnectionState === 'DISCONNECTED' || store.ConnectionState === 'FAILED') {
      await clients.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    }
    return { PhysicalResourceId: id, Data: { CustomKeyStoreId: id } };
  }

  return {
    async onEvent(event: CloudHsmResourceEvent): Promise<CloudHsmResourceResponse> {
      // Delete never parses: a resource whose create failed on bad properties must still go away.
      if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
      const props = properties.parse(event.ResourceProperties);
      if (props.Kind === 'CustomKeyStore') return ensureKeyStore(props);
      const { network } = await checkedCluster(props.ClusterId);
      if (!network.vpcId || !network.securityGroupId || network.subnetIds.length === 0) {
        throw new Error(`CloudHSM cluster ${props.ClusterId} reports no VPC, subnets or security group.`);
      }
      return {
        PhysicalResourceId: props.ClusterId,
        Data: { VpcId: network.vpcId, SecurityGroupId: network.securityGroupId, SubnetIds: network.subnetIds.join(',') },
      };
    },

    /** Connecting a key store takes minutes; the Provider framework polls this until it says so. */
    async isComplete(event: CloudHsmResourceEvent & CloudHsmResourceResponse): Promise<{ IsComplete: boolean; Data?: Record<string, string> }> {
      if (event.RequestType === 'Delete') return { IsComplete: true };
      const props = properties.parse(event.ResourceProperties);
      if (props.Kind !== 'CustomKeyStore') return { IsComplete: true };
      const storeId = event.PhysicalResourceId!;
      const store = await findKeyStore({ CustomKeyStoreId: storeId });
      switch (store?.ConnectionState) {
        case 'CONNECTED':
          return { IsComplete: true, Data: { CustomKeyStoreId: storeId, RootKeyArn: await ensureRootKey(storeId, props) } };
        case 'CONNECTING':
          return { IsComplete: false };
        default:
          throw new Error(
            `Custom key store ${event.PhysicalResourceId} is ${store?.ConnectionState ?? 'gone'}` +
              `${store?.ConnectionErrorCode ? ` (${store.ConnectionErrorCode})` : ''}; see "Troubleshooting a custom key store" in the AWS KMS guide.`,
          );
      }
    },
  };
}
