import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevIssuer } from './devIssuer';
import { DevSignIn } from './devSignIn';
import { createWebPages, DASHBOARD_CSP } from './webPages';

let dir: string;
let signIn: DevSignIn;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kl-web-'));
  const issuer = await DevIssuer.openOrCreate(join(dir, 'data'), { audience: 'keyledger', tenantClaim: 'tenant_id' });
  signIn = new DevSignIn({ issuer, scopes: ['read:logs'], defaultTenant: 'local', onCode: () => undefined });
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'dist', 'assets', 'index-abc.js'), 'console.log(1)');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pages = (distDir = join(dir, 'dist')) =>
  createWebPages({ distDir, signIn, origin: () => 'http://127.0.0.1:8787', audience: 'keyledger', scopes: ['read:logs'] });
const request = (method: string, host = '127.0.0.1:8787', peer = '127.0.0.1', headers: Record<string, string> = {}) =>
  ({ method, headers: { host, ...headers }, socket: { remoteAddress: peer } }) as unknown as IncomingMessage;
const get = (path: string, host?: string, peer?: string, headers?: Record<string, string>) =>
  pages()(request('GET', host, peer, headers), new URL(path, 'http://127.0.0.1:8787'), async () => new URLSearchParams());

describe('the local web pages', () => {
  it('serve the dashboard with its Content-Security-Policy, hashed assets as immutable, and the API paths untouched', async () => {
    const index = await get('/');
    expect(index).toMatchObject({ statusCode: 200, headers: { 'content-security-policy': DASHBOARD_CSP, 'cache-control': 'no-cache' } });
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe');
    expect((await get('/assets/index-abc.js'))?.headers).toMatchObject({ 'cache-control': 'public, max-age=31536000, immutable' });
    expect((await get('/assets/missing.js'))?.statusCode).toBe(404);
    expect((await pages()(request('HEAD'), new URL('http://127.0.0.1:8787/'), async () => new URLSearchParams()))?.statusCode).toBe(200);
    expect(await get('/api/v2/keys/encryption')).toBeUndefined();
    expect(JSON.parse(String((await get('/config.json'))?.body))).toEqual({
      api_url: '',
      oidc: { issuer: 'http://127.0.0.1:8787', client_id: 'keyledger-dashboard', audience: 'keyledger', scope: 'read:logs', dev: true },
    });
  });

  it('say the dashboard is not built rather than fail', async () => {
    const answer = await pages(join(dir, 'nothing'))(request('GET'), new URL('http://127.0.0.1:8787/'), async () => new URLSearchParams());
    expect(answer).toMatchObject({ statusCode: 503 });
    expect(String(answer?.body)).toContain('npm run build');
  });

  it('answer the dev sign-in only for the loopback Host it listens on (no DNS rebinding) and a loopback peer', async () => {
    const query = '/dev/authorize?client_id=keyledger-dashboard&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2F&code_challenge_method=S256&code_challenge=' + 'a'.repeat(43);
    expect((await get(query))?.statusCode).toBe(200);
    for (const [host, peer] of [
      ['rebound.example:8787', '127.0.0.1'],
      ['localhost:8787', '127.0.0.1'],
      ['127.0.0.1:9999', '127.0.0.1'],
      ['127.0.0.1:8787', '192.168.1.20'],
      ['[::1]:8787', '::1'],
    ] as const) {
      const answer = await get(query, host, peer);
      expect(answer?.statusCode).toBe(403);
      expect(String(answer?.body)).toContain('answers only at http://127.0.0.1:8787');
    }
  });

  it('refuse a form posted by another site before it counts as a try (no forced code changes)', async () => {
    let posted = 0;
    const post = (headers: Record<string, string>) =>
      pages()(request('POST', '127.0.0.1:8787', '127.0.0.1', { 'content-type': 'application/x-www-form-urlencoded', ...headers }), new URL('http://127.0.0.1:8787/dev/authorize'), async () => {
        posted += 1;
        return new URLSearchParams();
      });
    expect((await post({ origin: 'https://evil.example' }))?.statusCode).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site' }))?.statusCode).toBe(403);
    expect((await post({ origin: 'null', 'sec-fetch-site': 'cross-site' }))?.statusCode).toBe(403);
    expect((await post({ origin: 'null' }))?.statusCode).toBe(403);
    expect(posted).toBe(0);
    expect((await post({ 'content-type': 'application/x-www-form-urlencodedjunk' }))?.statusCode).toBe(415);
    expect((await post({ origin: 'http://127.0.0.1:8787', 'sec-fetch-site': 'same-origin' }))?.statusCode).toBe(400);
    // The sign-in page's own form, posted under its no-referrer policy.
    expect((await post({ origin: 'null', 'sec-fetch-site': 'same-origin' }))?.statusCode).toBe(400);
    expect(posted).toBe(2);
  });
});
