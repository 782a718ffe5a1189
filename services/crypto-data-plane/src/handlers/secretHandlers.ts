import { zeroize } from '@keyledger/crypto';
import { SECRET_ALPHABETS, secretEntropyBits, type DynamoDbSecretControls, type SecretsService } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import { createRouteHandler, json, noContent, routeFor, type RouteHandler } from '@keyledger/http';
import { CRYPTO_DATA_PLANE_CONTRACT } from '../contract';
import { readerOf, readSecretValue, type SecretPolicies } from '../secretPolicies';
import { rotationSummary } from './secretControlHandlers';

export type SecretOperation = 'listSecrets' | 'putSecret' | 'getSecret' | 'deleteSecret' | 'listSecretVersions' | 'rotateSecret';

export function createSecretHandlers(
  { secrets, controls, policies }: { secrets: SecretsService; controls: DynamoDbSecretControls; policies: SecretPolicies },
  common: { tenantClaim: string; logger?: Logger },
  recordChanges: (handler: RouteHandler) => RouteHandler,
  /** Wraps the value read: a read an access rule refuses is recorded as fapi (other reads are counted, not recorded one by one). */
  recordRefusals: (handler: RouteHandler) => RouteHandler,
): Record<SecretOperation, RouteHandler> {
  return {
    listSecrets: createRouteHandler({
      ...common,
      route: routeFor('listSecrets'),
      input: CRYPTO_DATA_PLANE_CONTRACT.listSecrets.input,
      handle: async ({ auth, input }) => {
        const { namespace, from, take } = input.queryStringParameters;
        const page = await secrets.list({ tenant: auth.tenant, namespace }, { after: from, limit: take });
        const settings = await controls.settingsOf({ tenant: auth.tenant, namespace }, page.secrets.map((secret) => secret.name));
        const listed = page.secrets.map((secret) => ({ ...secret, rotation: rotationSummary(settings.get(secret.name)?.rotation ?? null) }));
        return json(200, { namespace, secrets: listed, next: page.next });
      },
    }),
    putSecret: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('putSecret'),
        input: CRYPTO_DATA_PLANE_CONTRACT.putSecret.input,
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
    getSecret: recordRefusals(
      createRouteHandler({
        ...common,
        route: routeFor('getSecret'),
        input: CRYPTO_DATA_PLANE_CONTRACT.getSecret.input,
        handle: async ({ auth, input, event }) => {
          const { namespace, version, encryption_context: encryptionContext } = input.queryStringParameters;
          const read = await readSecretValue(policies, secrets, { tenant: auth.tenant, namespace, name: input.pathParameters.name, version, encryptionContext }, readerOf(auth, event));
          return json(200, { name: read.name, namespace, version: read.version, value: read.value, created_at: read.createdAt });
        },
      }),
    ),
    deleteSecret: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('deleteSecret'),
        input: CRYPTO_DATA_PLANE_CONTRACT.deleteSecret.input,
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
      input: CRYPTO_DATA_PLANE_CONTRACT.listSecretVersions.input,
      handle: async ({ auth, input }) => {
        const { namespace } = input.queryStringParameters;
        const { name } = input.pathParameters;
        const versions = await secrets.versions({ tenant: auth.tenant, namespace, name });
        const settings = await controls.settings({ tenant: auth.tenant, namespace, name });
        return json(200, {
          name,
          namespace,
          versions: versions.map((v) => ({ version: v.version, created_at: v.createdAt, created_by: v.createdBy })),
          rotation: rotationSummary(settings.rotation),
          audit: settings.audit,
        });
      },
    }),
    rotateSecret: recordChanges(
      createRouteHandler({
        ...common,
        route: routeFor('rotateSecret'),
        input: CRYPTO_DATA_PLANE_CONTRACT.rotateSecret.input,
        handle: async ({ auth, input, event }) => {
          const { namespace } = input.queryStringParameters;
          const { length, alphabet, characters, encryption_context: encryptionContext, expected_version: expectedVersion } = input.body;
          const symbols = characters ?? SECRET_ALPHABETS[alphabet];
          // The answer carries the new value: only a caller the access rules let read it may rotate, and it counts as a read.
          const ref = { tenant: auth.tenant, namespace, name: input.pathParameters.name };
          const reader = readerOf(auth, event);
          await policies.beforeRead(ref, reader);
          const rotated = await secrets.rotate({
            tenant: auth.tenant,
            namespace,
            name: input.pathParameters.name,
            length,
            characters: symbols,
            encryptionContext,
            expectedVersion,
            actor: auth.actor,
          });
          try {
            await policies.afterRead(ref, rotated.version, reader);
          } catch (error) {
            zeroize(rotated.value);
            throw error;
          }
          const value = rotated.value.toString('utf8');
          zeroize(rotated.value);
          return json(201, {
            name: rotated.name,
            namespace,
            version: rotated.version,
            value,
            entropy_bits: secretEntropyBits(length, symbols),
            created_at: rotated.createdAt,
          });
        },
      }),
    ),
  };
}

