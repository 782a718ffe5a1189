import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevIssuer } from './devIssuer';
import { DASHBOARD_CLIENT_ID, DevSignIn } from './devSignIn';

const ORIGIN = 'http://127.0.0.1:8787';
const verifier = 'v'.repeat(50);
const challenge = createHash('sha256').update(verifier).digest('base64url');
const request = {
  client_id: DASHBOARD_CLIENT_ID,
  redirect_uri: `${ORIGIN}/`,
  response_type: 'code',
  code_challenge: challenge,
  code_challenge_method: 'S256',
  state: 'st4te',
};

let dir: string;
let issuer: DevIssuer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kl-signin-'));
  issuer = await DevIssuer.openOrCreate(dir, { audience: 'keyledger', tenantClaim: 'tenant_id' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setUp(now = () => Date.now()) {
  const codes: Array<[string, string]> = [];
  const signIn = new DevSignIn({ issuer, scopes: ['read:encryption_keys', 'read:logs'], defaultTenant: 'local', onCode: (code, reason) => codes.push([code, reason]), now });
  return { signIn, codes };
}
const form = (fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) params.append(name, item);
  return params;
};
const codeFrom = (location: string) => new URL(location).searchParams.get('code')!;

describe('DevSignIn', () => {
  it('signs in with the printed one-time code and PKCE, and the token carries the chosen tenant and scopes', async () => {
    const { signIn, codes } = setUp();
    expect(codes).toEqual([[signIn.currentCode, 'start']]);
    const answer = signIn.authorize(form({ ...request, tenant: 'acme', scopes: ['read:logs', 'delete:everything'], code: signIn.currentCode.toLowerCase() }), ORIGIN);
    expect(answer.statusCode).toBe(303);
    const location = new URL(String(answer.headers!['location']));
    expect(location.origin + location.pathname).toBe(`${ORIGIN}/`);
    expect(location.searchParams.get('state')).toBe('st4te');
    expect(location.searchParams.get('iss')).toBe(ORIGIN);
    expect(codes.map(([, reason]) => reason)).toEqual(['start', 'used']);

    const token = await signIn.token(form({ grant_type: 'authorization_code', client_id: DASHBOARD_CLIENT_ID, code: codeFrom(location.href), redirect_uri: `${ORIGIN}/`, code_verifier: verifier }));
    expect(token.statusCode).toBe(200);
    const { access_token: accessToken, scope } = JSON.parse(String(token.body)) as { access_token: string; scope: string };
    expect(scope).toBe('read:logs');
    const claims = await issuer.verify(accessToken);
    expect(claims).toMatchObject({ tenant_id: 'acme', scope: 'read:logs', azp: DASHBOARD_CLIENT_ID });
  });

  it('refuses a wrong code, and after five replaces the code with a newly printed one', () => {
    const { signIn, codes } = setUp();
    const first = signIn.currentCode;
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const answer = signIn.authorize(form({ ...request, tenant: 'acme', scopes: 'read:logs', code: 'AAAA-AAAA' }), ORIGIN);
      expect(answer.statusCode).toBe(400);
      expect(String(answer.body)).toContain(attempt < 5 ? 'not the one-time code' : 'Too many wrong codes');
    }
    expect(signIn.currentCode).not.toBe(first);
    // A code of other bytes and length is just wrong, never a failure of the comparison.
    expect(signIn.authorize(form({ ...request, tenant: 'acme', scopes: 'read:logs', code: 'éAAA-AAAA-AAAA' }), ORIGIN).statusCode).toBe(400);
    expect(codes.at(-1)).toEqual([signIn.currentCode, 'too-many-wrong']);
    expect(signIn.authorize(form({ ...request, tenant: 'acme', scopes: 'read:logs', code: first }), ORIGIN).statusCode).toBe(400);
  });

  it('refuses a foreign redirect_uri, another client or no PKCE before showing the form', () => {
    const { signIn } = setUp();
    const page = (params: Record<string, string>) => signIn.authorizePage(new URL(`${ORIGIN}/dev/authorize?${new URLSearchParams(params)}`), ORIGIN);
    expect(page(request).statusCode).toBe(200);
    expect(String(page(request).body)).toContain('DEVELOPMENT ONLY');
    for (const redirect of ['http://evil.example/', `${ORIGIN}/elsewhere`, `${ORIGIN}//evil.example`, `${ORIGIN}@evil.example/`, `${ORIGIN}0/`]) {
      expect(page({ ...request, redirect_uri: redirect }).statusCode).toBe(400);
    }
    expect(page({ ...request, client_id: 'other' }).statusCode).toBe(400);
    expect(page({ ...request, code_challenge_method: 'plain' }).statusCode).toBe(400);
    expect(String(page({ ...request, state: '"><script>' }).body)).not.toContain('"><script>');
  });

  it('exchanges an authorization code once, only with its verifier, and not after a minute', async () => {
    let now = 1_000_000;
    const { signIn } = setUp(() => now);
    const authorize = () => codeFrom(String(signIn.authorize(form({ ...request, tenant: 'acme', scopes: 'read:logs', code: signIn.currentCode }), ORIGIN).headers!['location']));
    const exchange = (code: string, extra: Record<string, string> = {}) =>
      signIn.token(form({ grant_type: 'authorization_code', client_id: DASHBOARD_CLIENT_ID, code, redirect_uri: `${ORIGIN}/`, code_verifier: verifier, ...extra }));

    const wrongVerifier = authorize();
    expect(JSON.parse(String((await exchange(wrongVerifier, { code_verifier: 'w'.repeat(50) })).body))).toMatchObject({ error: 'invalid_grant' });
    expect((await exchange(wrongVerifier)).statusCode).toBe(400);

    const once = authorize();
    expect((await exchange(once)).statusCode).toBe(200);
    expect((await exchange(once)).statusCode).toBe(400);

    const late = authorize();
    now += 61_000;
    expect((await exchange(late)).statusCode).toBe(400);
  });
});
