import { CloudHSMV2Client, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import {
  ConnectCustomKeyStoreCommand,
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  CustomKeyStoreNotFoundException,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  NotFoundException,
  PutKeyPolicyCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createCloudHsmResourceHandlers, type CloudHsmResourceEvent } from './cloudHsmResources';

// client-cloudhsm-v2 3.332's types predate the aws-sdk-client-mock typings (see cloudHsmCheck.test.ts).
const cloudhsm = mockClient(CloudHSMV2Client as never);
const DescribeClusters = DescribeClustersCommand as never;
const kms = mockClient(KMSClient);
const secrets = mockClient(SecretsManagerClient);

const CLUSTER = 'cluster-abc123';
const STORE_ID = 'cks-1234567890abcdef0';
const SECRET_ID = 'keyledger/test/cloudhsm-key-store';
const PASSWORD = 'kmsuser-Passw0rd';
const CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [] });
const ALIAS = 'alias/keyledger-test-erk';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:eu-west-1:111122223333:key/${KEY_ID}`;
const handlers = createCloudHsmResourceHandlers({
  cloudHsm: new CloudHSMV2Client({ region: 'eu-west-1' }),
  kms: new KMSClient({ region: 'eu-west-1' }),
  secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
});

const keyStoreEvent = (RequestType: CloudHsmResourceEvent['RequestType'] = 'Create'): CloudHsmResourceEvent => ({
  RequestType,
  ResourceProperties: {
    ServiceToken: 'arn:aws:lambda:x',
    Kind: 'CustomKeyStore',
    ClusterId: CLUSTER,
    CustomKeyStoreName: 'keyledger-test',
    SecretId: SECRET_ID,
    RootKeyAlias: ALIAS,
    RootKeyDescription: 'keyledger test environment root key',
    RootKeyPolicy: POLICY,
  },
});
const clusterEvent = (RequestType: CloudHsmResourceEvent['RequestType'] = 'Create'): CloudHsmResourceEvent => ({
  RequestType,
  ResourceProperties: { ServiceToken: 'arn:aws:lambda:x', Kind: 'ClusterCheck', ClusterId: CLUSTER },
});
const healthyCluster = (hsms = [['hsm-1', 'eu-west-1a'], ['hsm-2', 'eu-west-1b']]) =>
  cloudhsm.on(DescribeClusters).resolves({
    Clusters: [
      {
        ClusterId: CLUSTER,
        State: 'ACTIVE',
        Hsms: hsms.map(([HsmId, AvailabilityZone]) => ({ HsmId, AvailabilityZone, State: 'ACTIVE' })),
        VpcId: 'vpc-0abc',
        SecurityGroup: 'sg-0hsm',
        SubnetMapping: { 'eu-west-1a': 'subnet-0a', 'eu-west-1b': 'subnet-0b' },
      },
    ],
  } as never);
const noStoreNamed = () =>
  kms
    .on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: 'keyledger-test' })
    .rejects(new CustomKeyStoreNotFoundException({ message: 'not found', $metadata: {} }));
const inputs = <T>(calls: Array<{ args: unknown[] }>) => calls.map((call) => (call.args[0] as { input: T }).input);

beforeEach(() => {
  cloudhsm.reset();
  kms.reset();
  secrets.reset();
});

describe('CloudHSM custom resources', () => {
  describe('ClusterCheck', () => {
    it('returns the cluster network for the PKCS#11 functions once the cluster passes the check', async () => {
      healthyCluster();
      expect(await handlers.onEvent(clusterEvent())).toEqual({
        PhysicalResourceId: CLUSTER,
        Data: { VpcId: 'vpc-0abc', SecurityGroupId: 'sg-0hsm', SubnetIds: 'subnet-0a,subnet-0b' },
      });
      expect(inputs(cloudhsm.commandCalls(DescribeClusters))).toEqual([{ Filters: { clusterIds: [CLUSTER] } }]);
    });

    it('fails the deployment with the check\'s sentence when the cluster is not ready', async () => {
      healthyCluster([]);
      await expect(handlers.onEvent(clusterEvent('Update'))).rejects.toThrow(`CloudHSM cluster ${CLUSTER} has no active HSM; PKCS#11 clients need at least one.`);
    });

    it('applies PKCS#11\'s rules, not a KMS key store\'s: one active HSM in one zone passes', async () => {
      healthyCluster([['hsm-1', 'eu-west-1a']]);
      expect(await handlers.onEvent(clusterEvent())).toMatchObject({ PhysicalResourceId: CLUSTER, Data: { VpcId: 'vpc-0abc' } });
    });

    it('does nothing on delete', async () => {
      expect(await handlers.onEvent({ ...clusterEvent('Delete'), PhysicalResourceId: CLUSTER })).toEqual({ PhysicalResourceId: CLUSTER });
      expect(cloudhsm.calls()).toHaveLength(0);
    });
  });

  describe('CustomKeyStore', () => {
    it('checks the cluster, creates the key store from the operator\'s secret and connects it', async () => {
      healthyCluster();
      noStoreNamed();
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ kmsuserPassword: PASSWORD, trustAnchorCertificate: CERTIFICATE }) });
      kms.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: STORE_ID });
      kms.on(ConnectCustomKeyStoreCommand).resolves({});

      expect(await handlers.onEvent(keyStoreEvent())).toEqual({ PhysicalResourceId: STORE_ID, Data: { CustomKeyStoreId: STORE_ID } });
      expect(inputs(secrets.commandCalls(GetSecretValueCommand))).toEqual([{ SecretId: SECRET_ID }]);
      expect(inputs(kms.commandCalls(CreateCustomKeyStoreCommand))).toEqual([
        { CustomKeyStoreName: 'keyledger-test', CloudHsmClusterId: CLUSTER, TrustAnchorCertificate: CERTIFICATE, KeyStorePassword: PASSWORD },
      ]);
      expect(inputs(kms.commandCalls(ConnectCustomKeyStoreCommand))).toEqual([{ CustomKeyStoreId: STORE_ID }]);
    });

    it('adopts an existing key store of that name and only connects it when disconnected', async () => {
      healthyCluster();
      kms.on(DescribeCustomKeyStoresCommand).resolves({
        CustomKeyStores: [{ CustomKeyStoreId: STORE_ID, CloudHsmClusterId: CLUSTER, ConnectionState: 'CONNECTED' }],
      });
      expect(await handlers.onEvent(keyStoreEvent('Update'))).toEqual({ PhysicalResourceId: STORE_ID, Data: { CustomKeyStoreId: STORE_ID } });
      expect(secrets.calls()).toHaveLength(0);
      expect(kms.commandCalls(CreateCustomKeyStoreCommand)).toHaveLength(0);
      expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
    });

    it('disconnects a FAILED key store it adopts (KMS connects no FAILED store), leaving the reconnect to isComplete', async () => {
      healthyCluster();
      kms.on(DescribeCustomKeyStoresCommand).resolves({
        CustomKeyStores: [{ CustomKeyStoreId: STORE_ID, CloudHsmClusterId: CLUSTER, ConnectionState: 'FAILED', ConnectionErrorCode: 'INVALID_CREDENTIALS' }],
      });
      kms.on(DisconnectCustomKeyStoreCommand).resolves({});
      expect(await handlers.onEvent(keyStoreEvent('Update'))).toEqual({ PhysicalResourceId: STORE_ID, Data: { CustomKeyStoreId: STORE_ID } });
      expect(inputs(kms.commandCalls(DisconnectCustomKeyStoreCommand))).toEqual([{ CustomKeyStoreId: STORE_ID }]);
      expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
    });

    it('re-reads the kmsuser password for a DISCONNECTED key store, updates the store with it, then connects', async () => {
      healthyCluster();
      kms.on(DescribeCustomKeyStoresCommand).resolves({
        CustomKeyStores: [{ CustomKeyStoreId: STORE_ID, CloudHsmClusterId: CLUSTER, ConnectionState: 'DISCONNECTED' }],
      });
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ kmsuserPassword: 'corrected-Passw0rd', trustAnchorCertificate: CERTIFICATE }) });
      kms.on(UpdateCustomKeyStoreCommand).resolves({});
      kms.on(ConnectCustomKeyStoreCommand).resolves({});
      await handlers.onEvent(keyStoreEvent('Update'));
      expect(inputs(secrets.commandCalls(GetSecretValueCommand))).toEqual([{ SecretId: SECRET_ID }]);
      expect(inputs(kms.commandCalls(UpdateCustomKeyStoreCommand))).toEqual([{ CustomKeyStoreId: STORE_ID, KeyStorePassword: 'corrected-Passw0rd' }]);
      expect(inputs(kms.commandCalls(ConnectCustomKeyStoreCommand))).toEqual([{ CustomKeyStoreId: STORE_ID }]);
      // The update comes before the connect.
      const order = kms.calls().map((call) => (call.args[0] as object).constructor.name);
      expect(order.indexOf('UpdateCustomKeyStoreCommand')).toBeLessThan(order.indexOf('ConnectCustomKeyStoreCommand'));
    });

    it('isComplete: waits while the store disconnects, then reconnects it with the password read anew', async () => {
      const poll = { ...keyStoreEvent('Update'), PhysicalResourceId: STORE_ID };
      kms
        .on(DescribeCustomKeyStoresCommand, { CustomKeyStoreId: STORE_ID })
        .resolvesOnce({ CustomKeyStores: [{ ConnectionState: 'DISCONNECTING' }] })
        .resolvesOnce({ CustomKeyStores: [{ ConnectionState: 'DISCONNECTED' }] })
        .resolves({ CustomKeyStores: [{ ConnectionState: 'CONNECTING' }] });
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ kmsuserPassword: PASSWORD, trustAnchorCertificate: CERTIFICATE }) });
      kms.on(UpdateCustomKeyStoreCommand).resolves({});
      kms.on(ConnectCustomKeyStoreCommand).resolves({});
      expect(await handlers.isComplete(poll)).toEqual({ IsComplete: false });
      expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
      expect(await handlers.isComplete(poll)).toEqual({ IsComplete: false });
      expect(inputs(kms.commandCalls(UpdateCustomKeyStoreCommand))).toEqual([{ CustomKeyStoreId: STORE_ID, KeyStorePassword: PASSWORD }]);
      expect(inputs(kms.commandCalls(ConnectCustomKeyStoreCommand))).toEqual([{ CustomKeyStoreId: STORE_ID }]);
      expect(await handlers.isComplete(poll)).toEqual({ IsComplete: false });
      expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(1);
    });

    it('refuses a key store of that name on another cluster', async () => {
      healthyCluster();
      kms.on(DescribeCustomKeyStoresCommand).resolves({
        CustomKeyStores: [{ CustomKeyStoreId: STORE_ID, CloudHsmClusterId: 'cluster-other1', ConnectionState: 'CONNECTED' }],
      });
      await expect(handlers.onEvent(keyStoreEvent())).rejects.toThrow(
        `Custom key store keyledger-test already exists on cluster cluster-other1, not ${CLUSTER}`,
      );
    });

    it('stops before KMS when the cluster fails the check', async () => {
      cloudhsm.on(DescribeClusters).resolves({ Clusters: [{ ClusterId: CLUSTER, State: 'UNINITIALIZED', Hsms: [] }] } as never);
      await expect(handlers.onEvent(keyStoreEvent())).rejects.toThrow(`CloudHSM cluster ${CLUSTER} is UNINITIALIZED`);
      expect(kms.calls()).toHaveLength(0);
    });

    it.each([
      ['not JSON', 'hunter2', /must hold JSON/],
      ['a short password', JSON.stringify({ kmsuserPassword: 'short', trustAnchorCertificate: CERTIFICATE }), /kmsuserPassword/],
      ['no certificate', JSON.stringify({ kmsuserPassword: PASSWORD, trustAnchorCertificate: 'hello' }), /trustAnchorCertificate must be the PEM/],
    ])('explains a secret holding %s without echoing it', async (_case, SecretString, message) => {
      healthyCluster();
      noStoreNamed();
      secrets.on(GetSecretValueCommand).resolves({ SecretString });
      const failure = handlers.onEvent(keyStoreEvent());
      await expect(failure).rejects.toThrow(message);
      await failure.catch((error: Error) => {
        expect(error.message).not.toContain(PASSWORD);
        expect(error.message).not.toContain('hunter2');
      });
      expect(kms.commandCalls(CreateCustomKeyStoreCommand)).toHaveLength(0);
    });

    it('waits for CONNECTED, then creates the root key in the key store under its alias', async () => {
      const poll = { ...keyStoreEvent(), PhysicalResourceId: STORE_ID };
      kms
        .on(DescribeCustomKeyStoresCommand, { CustomKeyStoreId: STORE_ID })
        .resolvesOnce({ CustomKeyStores: [{ ConnectionState: 'CONNECTING' }] })
        .resolves({ CustomKeyStores: [{ ConnectionState: 'CONNECTED' }] });
      kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'Alias not found', $metadata: {} }));
      kms.on(CreateKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN } });
      kms.on(CreateAliasCommand).resolves({});

      expect(await handlers.isComplete(poll)).toEqual({ IsComplete: false });
      expect(kms.commandCalls(CreateKeyCommand)).toHaveLength(0);
      expect(await handlers.isComplete(poll)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: STORE_ID, RootKeyArn: KEY_ARN } });
      expect(inputs(kms.commandCalls(DescribeKeyCommand))).toEqual([{ KeyId: ALIAS }]);
      expect(inputs(kms.commandCalls(CreateKeyCommand))).toEqual([
        {
          Origin: 'AWS_CLOUDHSM',
          CustomKeyStoreId: STORE_ID,
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          Description: 'keyledger test environment root key',
          Policy: POLICY,
          Tags: [{ TagKey: 'keyledger:role', TagValue: 'environment-root-key' }],
        },
      ]);
      expect(inputs(kms.commandCalls(CreateAliasCommand))).toEqual([{ AliasName: ALIAS, TargetKeyId: KEY_ID }]);
    });

    it('keeps the root key an update finds under the alias, re-applying the policy', async () => {
      kms.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [{ ConnectionState: 'CONNECTED' }] });
      kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, CustomKeyStoreId: STORE_ID } });
      kms.on(PutKeyPolicyCommand).resolves({});
      expect(await handlers.isComplete({ ...keyStoreEvent('Update'), PhysicalResourceId: STORE_ID })).toEqual({
        IsComplete: true,
        Data: { CustomKeyStoreId: STORE_ID, RootKeyArn: KEY_ARN },
      });
      expect(inputs(kms.commandCalls(PutKeyPolicyCommand))).toEqual([{ KeyId: KEY_ID, PolicyName: 'default', Policy: POLICY }]);
      expect(kms.commandCalls(CreateKeyCommand)).toHaveLength(0);
    });

    it('refuses an alias that names a key outside the key store', async () => {
      kms.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [{ ConnectionState: 'CONNECTED' }] });
      kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN } });
      await expect(handlers.isComplete({ ...keyStoreEvent(), PhysicalResourceId: STORE_ID })).rejects.toThrow(
        `${ALIAS} names key ${KEY_ID}, which is not in custom key store ${STORE_ID}.`,
      );
      expect(kms.commandCalls(PutKeyPolicyCommand)).toHaveLength(0);
    });

    it('fails with the connection error code when the key store cannot connect', async () => {
      kms.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [{ ConnectionState: 'FAILED', ConnectionErrorCode: 'USER_LOGGED_IN' }] });
      await expect(handlers.isComplete({ ...keyStoreEvent(), PhysicalResourceId: STORE_ID })).rejects.toThrow(
        `Custom key store ${STORE_ID} is FAILED (USER_LOGGED_IN)`,
      );
    });

    it('leaves the key store in place on delete (the retained root key lives in it)', async () => {
      expect(await handlers.onEvent({ ...keyStoreEvent('Delete'), PhysicalResourceId: STORE_ID })).toEqual({ PhysicalResourceId: STORE_ID });
      expect(await handlers.isComplete({ ...keyStoreEvent('Delete'), PhysicalResourceId: STORE_ID })).toEqual({ IsComplete: true });
      expect(kms.calls()).toHaveLength(0);
    });
  });

  it('refuses properties it does not know', async () => {
    await expect(handlers.onEvent({ RequestType: 'Create', ResourceProperties: { Kind: 'Other' } })).rejects.toThrow();
  });

  it('still deletes a resource whose properties it cannot read, so a failed create can roll back', async () => {
    const broken = { RequestType: 'Delete' as const, PhysicalResourceId: 'broken', ResourceProperties: { Kind: 'Other' } };
    expect(await handlers.onEvent(broken)).toEqual({ PhysicalResourceId: 'broken' });
    expect(await handlers.isComplete(broken)).toEqual({ IsComplete: true });
  });
});
