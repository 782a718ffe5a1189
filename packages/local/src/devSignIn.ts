/**
 * The dashboard's local sign-in: the dev issuer as a minimal OAuth 2.0 authorization server
 * (authorization code with PKCE, RFC 7636; metadata per RFC 8414), so the dashboard signs in
 * locally exactly as it does against a deployment's OpenID Connect issuer. Development only:
 * the page says so, answers only on the loopback address the stack listens on (a request whose
 * Host is any other name is refused, so DNS rebinding cannot reach it), and asks for a one-time
 * code that `npm start` prints; each use or five wrong tries replace it with a new printed code.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TENANT_PATTERN } from '@keyledger/domain';
import type { HttpResult } from '@keyledger/http';
import type { DevIssuer } from './devIssuer';
import { signInPage } from './signInPage';

export const DASHBOARD_CLIENT_ID = 'keyledger-dashboard';
const CODE_TTL_MS = 60_000;
const MAX_WRONG_CODES = 5;
const MAX_PENDING = 100;
const TOKEN_LIFETIME_S = 3600;
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

interface Grant {
  tenant: string;
  scopes: string[];
  challenge: string;
  redirectUri: string;
  expiresAt: number;
}

export interface DevSignInOptions {
  issuer: DevIssuer;
  /** Every scope a route needs: the page offers these. */
  scopes: readonly string[];
  defaultTenant: string;
  /** Called with each new one-time code (npm start prints it). */
  onCode: (code: string, reason: 'start' | 'used' | 'too-many-wrong') => void;
  now?: () => number;
}

const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});
const oauthError = (error: string, description: string) => json(400, { error, error_description: description });

const newCode = () => {
  const chars = Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
};
/** Constant-time equality of any two strings (their digests have one length, whatever the input's bytes). */
const sameText = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export class DevSignIn {
  private code = newCode();
  private wrong = 0;
  private readonly grants = new Map<string, Grant>();
  private readonly now: () => number;

  constructor(private readonly options: DevSignInOptions) {
    this.now = options.now ?? Date.now;
    options.onCode(this.code, 'start');
  }

  /** The one-time code in force (tests read it from the server output, as a user does). */
  get currentCode(): string {
    return this.code;
  }

  /** RFC 8414 metadata for `issuer` = the stack's origin. */
  metadata(origin: string): HttpResult {
    return json(200, {
      issuer: origin,
      authorization_endpoint: `${origin}/dev/authorize`,
      token_endpoint: `${origin}/dev/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: this.options.scopes,
    });
  }

  /** GET /dev/authorize: the sign-in page, for a well-formed request of the dashboard. */
  authorizePage(url: URL, origin: string): HttpResult {
    const request = this.checkRequest(url.searchParams, origin);
    if (typeof request === 'string') return signInPage({ problem: request, status: 400 });
    return signInPage({ fields: request.fields, tenant: this.options.defaultTenant, scopes: this.options.scopes, chosen: this.options.scopes });
  }

  /** POST /dev/authorize (the page's form): checks the one-time code, then redirects back with an authorization code. */
  authorize(form: URLSearchParams, origin: string): HttpResult {
    const request = this.checkRequest(form, origin);
    if (typeof request === 'string') return signInPage({ problem: request, status: 400 });
    const tenant = form.get('tenant') ?? '';
    const chosen = form.getAll('scopes').filter((scope) => this.options.scopes.includes(scope));
    const again = (problem: string) => signInPage({ problem, status: 400, fields: request.fields, tenant, scopes: this.options.scopes, chosen });
    if (!TENANT_PATTERN.test(tenant)) return again('The tenant must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit.');
    if (chosen.length === 0) return again('Choose at least one scope.');
    const offered = (form.get('code') ?? '').trim().toUpperCase();
    if (!sameText(offered, this.code)) {
      this.wrong += 1;
      if (this.wrong >= MAX_WRONG_CODES) this.replaceCode('too-many-wrong');
      return again(
        this.wrong === 0
          ? 'Too many wrong codes: npm start has printed a new one-time code.'
          : 'That is not the one-time code npm start printed (it changes after each sign-in).',
      );
    }
    this.replaceCode('used');
    this.forgetExpired();
    const code = randomBytes(32).toString('base64url');
    this.grants.set(code, { tenant, scopes: chosen, challenge: request.challenge, redirectUri: request.redirectUri, expiresAt: this.now() + CODE_TTL_MS });
    const back = new URL(request.redirectUri);
    back.searchParams.set('code', code);
    if (request.fields.state) back.searchParams.set('state', request.fields.state);
    back.searchParams.set('iss', origin);
    return { statusCode: 303, headers: { location: back.href, 'cache-control': 'no-store' }, body: '' };
  }

  /** POST /dev/token: the authorization code and its PKCE verifier for an access token of the dev issuer. */
  async token(form: URLSearchParams): Promise<HttpResult> {
    if (form.get('grant_type') !== 'authorization_code') return oauthError('unsupported_grant_type', 'Only authorization_code is supported.');
    if (form.get('client_id') !== DASHBOARD_CLIENT_ID) return oauthError('invalid_client', `client_id must be ${DASHBOARD_CLIENT_ID}.`);
    const code = form.get('code') ?? '';
    const grant = this.grants.get(code);
    this.grants.delete(code);
    if (!grant || grant.expiresAt < this.now()) return oauthError('invalid_grant', 'The authorization code is unknown, used or expired.');
    if (form.get('redirect_uri') !== grant.redirectUri) return oauthError('invalid_grant', 'redirect_uri differs from the authorization request.');
    const verifier = form.get('code_verifier') ?? '';
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !sameText(s256(verifier), grant.challenge)) {
      return oauthError('invalid_grant', 'code_verifier does not match the code_challenge.');
    }
    const accessToken = await this.options.issuer.sign({
      tenant: grant.tenant,
      scopes: grant.scopes,
      subject: `local-dev|${grant.tenant}|dashboard`,
      clientId: DASHBOARD_CLIENT_ID,
      expiresIn: TOKEN_LIFETIME_S,
    });
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, scope: grant.scopes.join(' ') });
  }

  private replaceCode(reason: 'used' | 'too-many-wrong') {
    this.code = newCode();
    this.wrong = 0;
    this.options.onCode(this.code, reason);
  }

  private forgetExpired() {
    const now = this.now();
    for (const [code, grant] of this.grants) if (grant.expiresAt < now || this.grants.size > MAX_PENDING) this.grants.delete(code);
  }

  private checkRequest(params: URLSearchParams, origin: string) {
    const fields = {
      client_id: params.get('client_id') ?? '',
      redirect_uri: params.get('redirect_uri') ?? '',
      state: params.get('state') ?? '',
      code_challenge: params.get('code_challenge') ?? '',
      code_challenge_method: params.get('code_challenge_method') ?? '',
      response_type: params.get('response_type') ?? '',
    };
    if (fields.client_id !== DASHBOARD_CLIENT_ID) return `Unknown client_id: this page signs in only the dashboard (${DASHBOARD_CLIENT_ID}).`;
    if (fields.response_type !== 'code') return 'response_type must be code.';
    // Exact match (RFC 9700): the dashboard's redirect_uri is its origin and "/".
    if (fields.redirect_uri !== `${origin}/`) return `redirect_uri must be ${origin}/ (the dashboard).`;
    if (fields.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(fields.code_challenge)) return 'A PKCE code_challenge (S256) is required.';
    if (fields.state.length > 512) return 'state is too long.';
    return { fields, redirectUri: fields.redirect_uri, challenge: fields.code_challenge };
  }
}

/** The peer addresses of the loopback interface. */
export const LOOPBACK_PEERS: readonly string[] = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

export const isLoopbackPeer = (request: IncomingMessage) => LOOPBACK_PEERS.includes(request.socket.remoteAddress ?? '');

/**
 * Only the loopback address the stack listens on may sign in: a loopback peer, the Host of
 * `origin` exactly (a DNS-rebound name is refused), and for a browser's form post no other
 * site's Origin (so another page cannot post wrong codes to make the code change).
 */
export function isOwnLoopbackRequest(request: IncomingMessage, origin: string): boolean {
  const own = new URL(origin);
  if (!isLoopbackPeer(request) || request.headers.host !== own.host) return false;
  // Browsers say where a request comes from in Sec-Fetch-Site; a form posted under
  // `Referrer-Policy: no-referrer` (as the sign-in page is) carries `Origin: null`.
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const from = request.headers.origin;
  return from === undefined || from === own.origin || (from === 'null' && site === 'same-origin');
}
