import { MAX_BATCH_ITEMS } from '@keyledger/data-plane';
import { contracts, noQuery } from '@keyledger/http';
import * as z from 'zod';
import {
  dataKeyBody,
  decryptBody,
  decryptRequest,
  deleteSecretQuery,
  encryptBody,
  encryptRequest,
  getSecretQuery,
  jobPath,
  listJobsQuery,
  listSecretsQuery,
  namespaceOnlyQuery,
  namespacePath,
  putSecretBody,
  rewrapRequest,
  rotateSecretBody,
  secretPath,
  secretRotationBody,
  secretAuditBody,
  accessRulesBody,
  secretUsageQuery,
} from './schemas';

/** One item, or `{batch: [item, ...]}` (each item answered on its own, in order): how the docs show a batchable body. */
const single = <T extends z.ZodType>(item: T) => z.union([item, z.strictObject({ batch: z.array(item).min(1).max(MAX_BATCH_ITEMS) })]);
const inNamespace = { pathParameters: namespacePath, queryStringParameters: noQuery };
const secret = { pathParameters: secretPath, queryStringParameters: namespaceOnlyQuery };

/** What each data-plane operation takes; the handlers validate with it (responses.ts says what they answer). */
export const CRYPTO_DATA_PLANE_CONTRACT = contracts({
  encrypt: { input: { ...inNamespace, body: encryptRequest },
    requestBody: single(encryptBody) },
  decrypt: { input: { ...inNamespace, body: decryptRequest },
    requestBody: single(decryptBody) },
  rewrap: { input: { ...inNamespace, body: rewrapRequest },
    requestBody: single(decryptBody) },
  generateDataKey: { input: { ...inNamespace, body: dataKeyBody } },
  listSecrets: { input: { queryStringParameters: listSecretsQuery } },
  putSecret: { input: { ...secret, body: putSecretBody } },
  getSecret: { input: { pathParameters: secretPath, queryStringParameters: getSecretQuery } },
  deleteSecret: { input: { pathParameters: secretPath, queryStringParameters: deleteSecretQuery } },
  listSecretVersions: { input: secret },
  rotateSecret: { input: { ...secret, body: rotateSecretBody } },
  getSecretRotation: { input: secret },
  putSecretRotation: { input: { ...secret, body: secretRotationBody } },
  deleteSecretRotation: { input: secret },
  putSecretAudit: { input: { ...secret, body: secretAuditBody } },
  getSecretUsage: { input: { pathParameters: secretPath, queryStringParameters: secretUsageQuery } },
  getSecretAccessRules: { input: { queryStringParameters: namespaceOnlyQuery } },
  putSecretAccessRules: { input: { queryStringParameters: namespaceOnlyQuery, body: accessRulesBody } },
  reencryptSecrets: { input: { queryStringParameters: namespaceOnlyQuery } },
  listJobs: { input: { queryStringParameters: listJobsQuery } },
  getJob: { input: { pathParameters: jobPath, queryStringParameters: noQuery } },
});
