import { TENANT_PATTERN } from '@keyledger/domain';
import { AuthenticationError, AuthorizationError } from './errors';

export interface AuthContext {
  tenant: string;
  /** The token subject (user or client id), for audit. */
  actor: string;
  scopes: ReadonlySet<string>;
  clientId?: string;
}

type Claims = Record<string, unknown>;

/**
 * API Gateway's JWT authorizer passes claims through, turning arrays into strings like
 * "[a b]"; the local server passes them as they are. Both forms are read here.
 */
function claimList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  const trimmed = value.trim();
  const inner = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  return inner.split(/[\s,]+/).filter(Boolean);
}

/**
 * The caller a claims object names, read once per (claims object, tenant claim): the local server
 * hands the same frozen claims to every request of a verified token. Refusals are not remembered.
 */
const readCallers = new WeakMap<Claims, { tenantClaim: string; auth: AuthContext }>();

export function authContextFromClaims(claims: Claims | undefined, tenantClaim: string): AuthContext {
  const remembered = claims ? readCallers.get(claims) : undefined;
  if (remembered?.tenantClaim === tenantClaim) return remembered.auth;
  const auth = readAuthContext(claims, tenantClaim);
  if (claims) readCallers.set(claims, { tenantClaim, auth });
  return auth;
}

function readAuthContext(claims: Claims | undefined, tenantClaim: string): AuthContext {
  if (!claims || Object.keys(claims).length === 0) {
    throw new AuthenticationError('Missing authentication: send a bearer token.');
  }
  const tenant = claims[tenantClaim];
  if (tenant === undefined || tenant === null || tenant === '') {
    throw new AuthorizationError(`The token has no '${tenantClaim}' claim naming its tenant.`, 'missing_tenant_claim');
  }
  if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) {
    throw new AuthorizationError(`The token's '${tenantClaim}' claim is not a valid tenant id.`, 'invalid_tenant_claim');
  }
  // OAuth `scope` (a string), `scp` (Okta, Entra ID; a string or a list) and Auth0 RBAC `permissions`.
  const scopes = new Set([...claimList(claims['scope']), ...claimList(claims['scp']), ...claimList(claims['permissions'])]);
  const clientId = typeof claims['azp'] === 'string' ? claims['azp'] : typeof claims['client_id'] === 'string' ? claims['client_id'] : undefined;
  return Object.freeze({ tenant, actor: typeof claims['sub'] === 'string' ? claims['sub'] : 'unknown', scopes, clientId });
}

export function assertScopes(auth: AuthContext, required: readonly string[]): void {
  const missing = required.filter((scope) => !auth.scopes.has(scope));
  if (missing.length > 0) {
    throw new AuthorizationError(`Insufficient scope, expected all of: ${required.join(', ')} (missing: ${missing.join(', ')}).`);
  }
}
