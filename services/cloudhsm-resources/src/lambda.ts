/**
 * Lambda entry of the CDK app's CloudHSM custom resources (the Provider framework's onEvent and
 * isComplete handlers): see cloudHsmResources.ts in @keyledger/root-key-store.
 */
import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createCloudHsmResourceHandlers } from '@keyledger/root-key-store';

const handlers = createCloudHsmResourceHandlers({
  cloudHsm: new CloudHSMV2Client({}),
  kms: new KMSClient({}),
  secretsManager: new SecretsManagerClient({}),
});

export const onEvent = handlers.onEvent;
export const isComplete = handlers.isComplete;
