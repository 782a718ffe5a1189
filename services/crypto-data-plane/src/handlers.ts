import { zeroize } from '@keyledger/crypto';
import { SECRET_ALPHABETS, type CryptoDataPlane, type SecretsService } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import { createRouteHandler, json, noContent, routeFor, type RouteHandler } from '@keyledger/http';
import {
  dataKeyBody,
  decryptBody,
  deleteSecretQuery,
  encryptBody,
  getSecretQuery,
  listSecretsQuery,
  namespaceOnlyQuery,
  namespacePath,
  noQuery,
  putSecretBody,
  rotateSecretBody,
  secretPath,
} from './schemas';

export interface CryptoDataPlaneDependencies {
  dataPlane: Pick<CryptoDataPlane, 'encrypt' | 'decrypt' | 'generateDataKey'>;
  secrets: SecretsService;
  /** The JWT claim that names the caller's tenant. */
  tenantClaim: string;
  /**
   * Wraps the handlers that change secrets (put, rotate, delete) so that each call is recorded
   * as sapi/fapi. Reads and the crypto operations are not recorded: one event per encrypt would
   * cost a DynamoDB write on the hot path.
   */
  recordChanges?: (handler: RouteHandler) => RouteHandler;
  logger?: Logger;
}

export type CryptoDataPlaneOperation =
  | 'encrypt'
  | 'decrypt'
  | 'generateDataKey'
  | 'listSecrets'
  | 'putSecret'
  | 'getSecret'
  | 'deleteSecret'
  | 'listSecretVersions'
  | 'rotateSecret';

/** Bytes for a response, zeroed here once encoded. */
function base64Once(bytes: Buffer): string {
  const text = bytes.toString('base64');
  zeroize(bytes);
  return text;
}

export function createCryptoDataPlaneHandlers(deps: CryptoDataPlaneDependencies): Record<CryptoDataPlaneOperation, RouteHandler> {
  const common = { tenantClaim: deps.tenantClaim, logger: deps.logger };
  const recordChanges = deps.recordChanges ?? ((handler: RouteHandler) => handler);
  const { dataPlane, secrets } = deps;
  return {
    encrypt: createRouteHandler({
      ...common,
      route: routeFor('encrypt'),
      input: { pathParameters: namespacePath, queryStringParameters: noQuery, body: encryptBody },
      handle: async ({ auth, input }) => {
        const { plaintext, encryption_context: encryptionContext } = input.body;
        try {
          const { ciphertext, kid } = await dataPlane.encrypt({ tenant: auth.tenant, namespace: input.pathParameters.ns, plaintext, encryptionContext });
          return json(200, { ciphertext: ciphertext.toString('base64'), kid });
        } finally {
          zeroize(plaintext);
        }
      },
    }),
    decrypt: createRouteHandler({
      ...common,
      route: routeFor('decrypt'),
      input: { pathParameters: namespacePath, queryStringParameters: noQuery, body: decryptBody },
      handle: async ({ auth, input }) => {
        const { ciphertext, encryption_context: encryptionContext } = input.body;
        const plaintext = await dataPlane.decrypt({ tenant: auth.tenant, namespace: input.pathParameters.ns, ciphertext, encryptionContext });
        return json(200, { plaintext: base64Once(plaintext) });
      },
    }),
    generateDataKey: createRouteHandler({
      ...common,
      route: routeFor('generateDataKey'),
      input: { pathParameters: namespacePath, queryStringParameters: noQuery, body: dataKeyBody },
      handle: async ({ auth, input }) => {
        const { plaintextKey, ciphertextKey, kid } = await dataPlane.generateDataKey({
          tenant: auth.tenant,
          namespace: input.pathParameters.ns,
          encryptionContext: input.body.encryption_context,
        });
        return json(200, { plaintext_key: base64Once(plaintextKey), ciphertext_key: ciphertextKey.toString('base64'), kid });
      },
    }),
    listSecrets: createRouteHandler({
      ...common,
      route: routeFor('listSecrets'),
      input: { queryStringParameters: listSecretsQuery },
      handle: async ({ auth, input }) => {
        const { namespace, from, take } = input.queryStringParameters;
        const page = await secrets.list({ tenant: auth.tenant, namespace }, { after: from, limit: take });
        return json(200, { namespace, secrets: page.secrets, next: page.next });
      },
    }),
    putSecret: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('putSecret'),
        input: { pathParameters: secretPath, queryStringParameters: namespaceOnlyQuery, body: putSecretBody },
        handle: async ({ auth, input }) => {
          const { namespace } = input.queryStringParameters;
          const value = Buffer.from(input.body.value, 'utf8');
          try {
            const written = await secrets.put({
              tenant: auth.tenant,
              namespace,
              name: input.pathParameters.name,
              value,
              encryptionContext: input.body.encryption_context,
              expectedVersion: input.body.expected_version,
              actor: auth.actor,
            });
            return json(201, { name: written.name, namespace, version: written.version, created_at: written.createdAt });
          } finally {
            zeroize(value);
          }
        },
      }),
    ),
    getSecret: createRouteHandler({
      ...common,
      route: routeFor('getSecret'),
      input: { pathParameters: secretPath, queryStringParameters: getSecretQuery },
      handle: async ({ auth, input }) => {
        const { namespace, version, encryption_context: encryptionContext } = input.queryStringParameters;
        const read = await secrets.get({ tenant: auth.tenant, namespace, name: input.pathParameters.name, version, encryptionContext });
        const value = read.value.toString('utf8');
        zeroize(read.value);
        return json(200, { name: read.name, namespace, version: read.version, value, created_at: read.createdAt });
      },
    }),
    deleteSecret: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('deleteSecret'),
        input: { pathParameters: secretPath, queryStringParameters: deleteSecretQuery },
        handle: async ({ auth, input }) => {
          const { namespace, version } = input.queryStringParameters;
          await secrets.delete({ tenant: auth.tenant, namespace, name: input.pathParameters.name, version });
          return noContent();
        },
      }),
    ),
    listSecretVersions: createRouteHandler({
      ...common,
      route: routeFor('listSecretVersions'),
      input: { pathParameters: secretPath, queryStringParameters: namespaceOnlyQuery },
      handle: async ({ auth, input }) => {
        const { namespace } = input.queryStringParameters;
        const { name } = input.pathParameters;
        const versions = await secrets.versions({ tenant: auth.tenant, namespace, name });
        return json(200, {
          name,
          namespace,
          versions: versions.map((v) => ({ version: v.version, created_at: v.createdAt, created_by: v.createdBy })),
        });
      },
    }),
    rotateSecret: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('rotateSecret'),
        input: { pathParameters: secretPath, queryStringParameters: namespaceOnlyQuery, body: rotateSecretBody },
        handle: async ({ auth, input }) => {
          const { namespace } = input.queryStringParameters;
          const { length, alphabet, characters, encryption_context: encryptionContext, expected_version: expectedVersion } = input.body;
          const rotated = await secrets.rotate({
            tenant: auth.tenant,
            namespace,
            name: input.pathParameters.name,
            length,
            characters: characters ?? SECRET_ALPHABETS[alphabet],
            encryptionContext,
            expectedVersion,
            actor: auth.actor,
          });
          const value = rotated.value.toString('utf8');
          zeroize(rotated.value);
          return json(201, { name: rotated.name, namespace, version: rotated.version, value, created_at: rotated.createdAt });
        },
      }),
    ),
  };
}
