import { createRouteHandler, json, noContent, routeFor, type RouteHandler } from '@keyledger/http';
import type { Logger } from '@keyledger/domain';
import type { KeyHierarchyService } from '@keyledger/key-hierarchy';
import { toEncryptionKeyView } from './keyView';
import { kidPath, listKeysQuery, noQuery } from './schemas';

export interface KeyAdminDependencies {
  keyHierarchy: KeyHierarchyService;
  /** The JWT claim that names the caller's tenant. */
  tenantClaim: string;
  logger?: Logger;
}

export type KeyAdminOperation = 'listEncryptionKeys' | 'getEncryptionKey' | 'rekey';

export function createKeyAdminHandlers(deps: KeyAdminDependencies): Record<KeyAdminOperation, RouteHandler> {
  const common = { tenantClaim: deps.tenantClaim, logger: deps.logger };
  return {
    listEncryptionKeys: createRouteHandler({
      ...common,
      route: routeFor('listEncryptionKeys'),
      input: { queryStringParameters: listKeysQuery },
      handle: async ({ auth, input }) => {
        const { page, per_page: perPage, include_totals: includeTotals } = input.queryStringParameters;
        const keys = (await deps.keyHierarchy.listKeys(auth.tenant)).map(toEncryptionKeyView);
        const slice = keys.slice(page * perPage, page * perPage + perPage);
        return json(200, includeTotals ? { start: page * perPage, limit: perPage, total: keys.length, keys: slice } : slice);
      },
    }),
    getEncryptionKey: createRouteHandler({
      ...common,
      route: routeFor('getEncryptionKey'),
      input: { pathParameters: kidPath, queryStringParameters: noQuery },
      handle: async ({ auth, input }) =>
        json(200, toEncryptionKeyView(await deps.keyHierarchy.getKey(auth.tenant, input.pathParameters.kid))),
    }),
    rekey: createRouteHandler({
      ...common,
      route: routeFor('rekey'),
      input: { queryStringParameters: noQuery },
      handle: async ({ auth }) => {
        await deps.keyHierarchy.rekey(auth.tenant);
        return noContent();
      },
    }),
  };
}
