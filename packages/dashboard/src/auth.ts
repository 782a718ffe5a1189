/**
 * Sign-in: OAuth 2.0 authorization code with PKCE (oauth4webapi), against the deployment's
 * OpenID Connect issuer or the local stack's dev sign-in page. The access token stays in memory
 * (a reload signs in again); only the PKCE verifier and state wait in sessionStorage across the
 * redirect to the sign-in page, and are removed when it comes back.
 */
import * as oauth from 'oauth4webapi';
import type { OidcSettings } from './config';

const PENDING = 'keyledger.pending-sign-in';

export interface Session {
  accessToken: string;
  expiresAt: number;
}

const redirectUri = () => `${location.origin}/`;

async function authorizationServer(settings: OidcSettings): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(settings.issuer);
  const options = settings.dev ? { algorithm: 'oauth2' as const, [oauth.allowInsecureRequests]: true } : { algorithm: 'oidc' as const };
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
}

/** Sends the browser to the sign-in page. */
export async function signIn(settings: OidcSettings): Promise<never> {
  const server = await authorizationServer(settings);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, hash: location.hash }));
  const url = new URL(server.authorization_endpoint!);
  url.searchParams.set('client_id', settings.client_id);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', settings.scope);
  url.searchParams.set('audience', settings.audience);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  location.assign(url.href);
  return new Promise<never>(() => undefined);
}

/** On the way back from the sign-in page: exchanges the code for a token; null when this is not such a visit. */
export async function completeSignIn(settings: OidcSettings): Promise<Session | null> {
  const current = new URL(location.href);
  if (!current.searchParams.has('code') && !current.searchParams.has('error')) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; hash: string } | null;
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `/${pending?.hash ?? ''}`);
  if (!pending) throw new Error('The sign-in answer arrived without a sign-in in progress; sign in again.');
  const server = await authorizationServer(settings);
  const client: oauth.Client = { client_id: settings.client_id };
  const callback = oauth.validateAuthResponse(server, client, current.searchParams, pending.state);
  const options = settings.dev ? { [oauth.allowInsecureRequests]: true } : {};
  const response = await oauth.authorizationCodeGrantRequest(server, client, oauth.None(), callback, redirectUri(), pending.verifier, options);
  const result = await oauth.processAuthorizationCodeResponse(server, client, response);
  return { accessToken: result.access_token, expiresAt: Date.now() + (result.expires_in ?? 3600) * 1000 };
}

/**
 * Signs out: forgets the token, and where the issuer offers RP-initiated logout
 * (`end_session_endpoint`) ends its session too, coming back to the dashboard.
 */
export async function signOut(settings: OidcSettings): Promise<void> {
  const server = await authorizationServer(settings).catch(() => undefined);
  if (!server?.end_session_endpoint) return;
  const url = new URL(server.end_session_endpoint);
  url.searchParams.set('client_id', settings.client_id);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  location.assign(url.href);
}

/** The token's claims, unverified: for display and for disabling what it may not do (the API decides). */
export function tokenClaims(token: string): Record<string, unknown> {
  try {
    return JSON.parse(atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** What the token may do: its `scope` / `scp` / `permissions`, read as the API reads them. */
export function grantedScopes(token: string): Set<string> {
  const claims = tokenClaims(token);
  const words = (value: unknown): string[] =>
    typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  return new Set([...words(claims['scope']), ...words(claims['scp']), ...words(claims['permissions'])].filter(Boolean));
}
