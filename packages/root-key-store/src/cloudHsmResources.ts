import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import {
  ConnectCustomKeyStoreCommand,
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  PutKeyPolicyCommand,
  UpdateCustomKeyStoreCommand,
  type CustomKeyStoresListEntry,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { checkCloudHsmCluster, type ClusterRules } from './cloudHsmCheck';

/**
 * The CDK app's custom resources for CloudHSM (the Provider framework calls these):
 *
 * - `ClusterCheck` runs the operator check before anything uses the cluster, fails the
 *   deployment with the check's own sentences, and returns where PKCS#11 clients must run
 *   (VPC, subnets, the cluster's security group).
 * - `CustomKeyStore` runs the same check, then creates (or adopts, by name) an AWS KMS custom key
 *   store on the cluster and connects it. A store found FAILED is disconnected first (KMS
 *   refuses to connect a FAILED store), and a DISCONNECTED one is given the kmsuser password
 *   read anew from the secret before it connects, so a corrected password takes effect on the
 *   next deploy. `isComplete` waits for CONNECTED (reconnecting a store its disconnect left
 *   DISCONNECTED), then creates the
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
  async function checkedCluster(clusterId: string, rules: ClusterRules) {
    const check = await checkCloudHsmCluster(clients.cloudHsm, clusterId, rules);
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

  /** A DISCONNECTED store: the kmsuser password as the secret holds it now (the operator may have corrected it), then connect. */
  async function reconnect(storeId: string, secretId: string): Promise<void> {
    const secret = await readKeyStoreSecret(secretId);
    await clients.kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, KeyStorePassword: secret.kmsuserPassword }));
    await clients.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
  }

  async function ensureKeyStore(props: z.output<typeof customKeyStoreProperties>): Promise<CloudHsmResourceResponse> {
    await checkedCluster(props.ClusterId, 'kms-key-store');
    const store = await findKeyStore({ CustomKeyStoreName: props.CustomKeyStoreName });
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
      const id = created.CustomKeyStoreId!;
      await clients.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      return { PhysicalResourceId: id, Data: { CustomKeyStoreId: id } };
    }
    const id = store.CustomKeyStoreId!;
    // FAILED: disconnect; isComplete reconnects once it is DISCONNECTED. CONNECTING, DISCONNECTING, CONNECTED: isComplete waits.
    if (store.ConnectionState === 'FAILED') await clients.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    else if (store.ConnectionState === 'DISCONNECTED') await reconnect(id, props.SecretId);
    return { PhysicalResourceId: id, Data: { CustomKeyStoreId: id } };
  }

  return {
    async onEvent(event: CloudHsmResourceEvent): Promise<CloudHsmResourceResponse> {
      // Delete never parses: a resource whose create failed on bad properties must still go away.
      if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
      const props = properties.parse(event.ResourceProperties);
      if (props.Kind === 'CustomKeyStore') return ensureKeyStore(props);
      // The functions use the cluster through PKCS#11: the cluster's own rules, not a KMS key store's.
      const { network } = await checkedCluster(props.ClusterId, 'pkcs11');
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
        case 'DISCONNECTING':
          return { IsComplete: false };
        case 'DISCONNECTED':
          // What onEvent's disconnect of a FAILED store leaves (a failed connect ends FAILED, not here).
          await reconnect(storeId, props.SecretId);
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
