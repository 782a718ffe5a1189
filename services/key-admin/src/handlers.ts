import { createRouteHandler, json, noContent, RequestValidationError, routeFor, type RouteHandler } from '@keyledger/http';
import type { Logger } from '@keyledger/domain';
import type { KeyHierarchyService, KeyPage } from '@keyledger/key-hierarchy';
import { toDestructionRequestView, toEncryptionKeyView, toKeyUsageView, type WrappingKeyView } from './keyView';
import { KEY_ADMIN_CONTRACT } from './contract';

export interface KeyAdminDependencies {
  keyHierarchy: KeyHierarchyService;
  /** The JWT claim that names the caller's tenant. */
  tenantClaim: string;
  logger?: Logger;
}

export type KeyAdminOperation =
  | 'listEncryptionKeys'
  | 'listEncryptionKeysAsOf'
  | 'getEncryptionKey'
  | 'rekey'
  | 'createEncryptionKey'
  | 'createWrappingKey'
  | 'importEncryptionKey'
  | 'deleteEncryptionKey'
  | 'getKeyUsage'
  | 'getKeyRetention'
  | 'setKeyRetention'
  | 'listDestructionRequests'
  | 'getDestructionRequest'
  | 'approveDestructionRequest'
  | 'cancelDestructionRequest'
  | 'getDestructionReceipt'
  | 'shredTenant';

/** A page of keys as Auth0 answers it: an array, or with include_totals `{start, limit, total, keys}`. */
function listing({ keys, total }: KeyPage, { page, perPage, includeTotals }: { page: number; perPage: number; includeTotals: boolean }) {
  const views = keys.map(toEncryptionKeyView);
  return json(200, includeTotals ? { start: page * perPage, limit: perPage, total, keys: views } : views);
}

export function createKeyAdminHandlers(deps: KeyAdminDependencies): Record<KeyAdminOperation, RouteHandler> {
  const common = { tenantClaim: deps.tenantClaim, logger: deps.logger };
  return {
    listEncryptionKeys: createRouteHandler({
      ...common,
      route: routeFor('listEncryptionKeys'),
      input: KEY_ADMIN_CONTRACT.listEncryptionKeys.input,
      handle: async ({ auth, input }) => {
        const { page, per_page: perPage, include_totals: includeTotals } = input.queryStringParameters;
        return listing(await deps.keyHierarchy.listKeys(auth.tenant, { page, perPage }), { page, perPage, includeTotals });
      },
    }),
    listEncryptionKeysAsOf: createRouteHandler({
      ...common,
      route: routeFor('listEncryptionKeysAsOf'),
      input: KEY_ADMIN_CONTRACT.listEncryptionKeysAsOf.input,
      handle: async ({ auth, input }) => {
        const { at, page, per_page: perPage, include_totals: includeTotals } = input.queryStringParameters;
        const now = deps.keyHierarchy.now();
        if (at.getTime() > now.getTime()) {
          throw new RequestValidationError(
            `Query parameter at: is in the future (${at.toISOString()} is after the server's clock, ${now.toISOString()}); the hierarchy is known up to now.`,
            'invalid_query_string',
          );
        }
        return listing(await deps.keyHierarchy.listKeysAsOf(auth.tenant, at, { page, perPage }), { page, perPage, includeTotals });
      },
    }),
    getEncryptionKey: createRouteHandler({
      ...common,
      route: routeFor('getEncryptionKey'),
      input: KEY_ADMIN_CONTRACT.getEncryptionKey.input,
      handle: async ({ auth, input }) =>
        json(200, toEncryptionKeyView(await deps.keyHierarchy.getKey(auth.tenant, input.pathParameters.kid))),
    }),
    rekey: createRouteHandler({
      ...common,
      route: routeFor('rekey'),
      input: KEY_ADMIN_CONTRACT.rekey.input,
      handle: async ({ auth }) => {
        await deps.keyHierarchy.rekey(auth.tenant);
        return noContent();
      },
    }),
    createEncryptionKey: createRouteHandler({
      ...common,
      route: routeFor('createEncryptionKey'),
      input: KEY_ADMIN_CONTRACT.createEncryptionKey.input,
      handle: async ({ auth }) => json(201, toEncryptionKeyView(await deps.keyHierarchy.createCustomerKey(auth.tenant))),
    }),
    createWrappingKey: createRouteHandler({
      ...common,
      route: routeFor('createWrappingKey'),
      input: KEY_ADMIN_CONTRACT.createWrappingKey.input,
      handle: async ({ auth, input }) => {
        const issued = await deps.keyHierarchy.createWrappingKey(auth.tenant, input.pathParameters.kid, input.body.oaep_hash);
        const view: WrappingKeyView = {
          public_key: issued.publicKeyPem,
          algorithm: 'CKM_RSA_AES_KEY_WRAP',
          oaep_hash: issued.oaepHash,
          expires_at: issued.expiresAt,
        };
        return json(201, view);
      },
    }),
    importEncryptionKey: createRouteHandler({
      ...common,
      route: routeFor('importEncryptionKey'),
      input: KEY_ADMIN_CONTRACT.importEncryptionKey.input,
      handle: async ({ auth, input }) =>
        json(201, toEncryptionKeyView(await deps.keyHierarchy.importCustomerKey(auth.tenant, input.pathParameters.kid, input.body.wrapped_key))),
    }),
    deleteEncryptionKey: createRouteHandler({
      ...common,
      route: routeFor('deleteEncryptionKey'),
      input: KEY_ADMIN_CONTRACT.deleteEncryptionKey.input,
      handle: async ({ auth, input }) => {
        const outcome = await deps.keyHierarchy.deleteKey(auth.tenant, input.pathParameters.kid, { sub: auth.actor, clientId: auth.clientId ?? null });
        return typeof outcome === 'object' ? json(202, toDestructionRequestView(outcome.request)) : noContent();
      },
    }),
    getKeyUsage: createRouteHandler({
      ...common,
      route: routeFor('getKeyUsage'),
      input: KEY_ADMIN_CONTRACT.getKeyUsage.input,
      handle: async ({ auth, input }) => json(200, toKeyUsageView(await deps.keyHierarchy.keyUsage(auth.tenant, input.pathParameters.kid))),
    }),
    getKeyRetention: createRouteHandler({
      ...common,
      route: routeFor('getKeyRetention'),
      input: KEY_ADMIN_CONTRACT.getKeyRetention.input,
      handle: async ({ auth }) => json(200, { auto_retire_after: (await deps.keyHierarchy.getRetention(auth.tenant)).autoRetireAfter }),
    }),
    setKeyRetention: createRouteHandler({
      ...common,
      route: routeFor('setKeyRetention'),
      input: KEY_ADMIN_CONTRACT.setKeyRetention.input,
      handle: async ({ auth, input }) =>
        json(200, { auto_retire_after: (await deps.keyHierarchy.setRetention(auth.tenant, input.body.auto_retire_after)).autoRetireAfter }),
    }),
    ...destructionRequestHandlers(deps, common),
  };
}

function destructionRequestHandlers(deps: KeyAdminDependencies, common: { tenantClaim: string; logger?: Logger }) {
  return {
    listDestructionRequests: createRouteHandler({
      ...common,
      route: routeFor('listDestructionRequests'),
      input: KEY_ADMIN_CONTRACT.listDestructionRequests.input,
      handle: async ({ auth }) => json(200, { requests: (await deps.keyHierarchy.listDestructionRequests(auth.tenant)).map(toDestructionRequestView) }),
    }),
    getDestructionRequest: createRouteHandler({
      ...common,
      route: routeFor('getDestructionRequest'),
      input: KEY_ADMIN_CONTRACT.getDestructionRequest.input,
      handle: async ({ auth, input }) => json(200, toDestructionRequestView(await deps.keyHierarchy.getDestructionRequest(auth.tenant, input.pathParameters.id))),
    }),
    approveDestructionRequest: createRouteHandler({
      ...common,
      route: routeFor('approveDestructionRequest'),
      input: KEY_ADMIN_CONTRACT.approveDestructionRequest.input,
      handle: async ({ auth, input }) =>
        json(200, toDestructionRequestView(await deps.keyHierarchy.approveDestructionRequest(auth.tenant, input.pathParameters.id, auth.actor))),
    }),
    cancelDestructionRequest: createRouteHandler({
      ...common,
      route: routeFor('cancelDestructionRequest'),
      input: KEY_ADMIN_CONTRACT.cancelDestructionRequest.input,
      handle: async ({ auth, input }) =>
        json(
          200,
          toDestructionRequestView(
            await deps.keyHierarchy.cancelDestructionRequest(auth.tenant, input.pathParameters.id, auth.actor, auth.scopes.has('approve:destruction_requests')),
          ),
        ),
    }),
    getDestructionReceipt: createRouteHandler({
      ...common,
      route: routeFor('getDestructionReceipt'),
      input: KEY_ADMIN_CONTRACT.getDestructionReceipt.input,
      handle: async ({ auth, input }) => json(200, { receipt: await deps.keyHierarchy.getDestructionReceipt(auth.tenant, input.pathParameters.id) }),
    }),
    shredTenant: createRouteHandler({
      ...common,
      route: routeFor('shredTenant'),
      input: KEY_ADMIN_CONTRACT.shredTenant.input,
      handle: async ({ auth }) => {
        const request = await deps.keyHierarchy.shredTenant(auth.tenant, { sub: auth.actor, clientId: auth.clientId ?? null });
        return json(request.state === 'executed' ? 200 : 202, toDestructionRequestView(request));
      },
    }),
  };
}
