/**
 * What the local stack serves beside the API: the dashboard (packages/dashboard/dist, read once
 * at start), its /config.json, and the dev sign-in (devSignIn.ts). The API keeps its paths.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { extname, join } from 'node:path';
import { errorResult, type HttpResult } from '@keyledger/http';
import { DASHBOARD_CLIENT_ID, isOwnLoopbackRequest, type DevSignIn } from './devSignIn';
import { signInPage } from './signInPage';

/** The dashboard's Content-Security-Policy: its own scripts and styles only, the API on its own origin, no framing. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/** Sent with every answer of the local server (the API's JSON included). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  /** Base64 once at start: the server's answers carry binary bodies that way. */
  body: string;
  type: string;
}

/** The built dashboard in memory: index.html and its hashed assets. */
export function readDashboard(distDir: string): { index: string; assets: Map<string, Asset> } | undefined {
  const indexPath = join(distDir, 'index.html');
  if (!existsSync(indexPath)) return undefined;
  const assets = new Map<string, Asset>();
  const assetDir = join(distDir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      assets.set(`/assets/${name}`, { body: readFileSync(join(assetDir, name)).toString('base64'), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  }
  return { index: readFileSync(indexPath, 'utf8'), assets };
}

export interface WebPagesOptions {
  distDir: string;
  signIn: DevSignIn;
  /** The stack's origin, e.g. http://127.0.0.1:8787 (known once it listens). */
  origin: () => string;
  audience: string;
  scopes: readonly string[];
}

export type WebPages = (request: IncomingMessage, url: URL, readForm: () => Promise<URLSearchParams>) => Promise<HttpResult | undefined>;

const page = (body: string, type: string, headers: Record<string, string> = {}): HttpResult => ({
  statusCode: 200,
  headers: { 'content-type': type, ...headers },
  body,
});

export function createWebPages(options: WebPagesOptions): WebPages {
  const dashboard = readDashboard(options.distDir);
  const notBuilt = () =>
    ({ statusCode: 503, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'The dashboard is not built: run `npm run build` (npm start does).\n' }) as HttpResult;
  return async (request, url, readForm) => {
    // HEAD is GET without the body (Node sends none for HEAD).
    const method = request.method === 'HEAD' ? 'GET' : (request.method ?? 'GET');
    const path = url.pathname;
    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      if (!dashboard) return notBuilt();
      return page(dashboard.index, TYPES['.html']!, { 'content-security-policy': DASHBOARD_CSP, 'cache-control': 'no-cache' });
    }
    if (method === 'GET' && path.startsWith('/assets/')) {
      const asset = dashboard?.assets.get(path);
      if (!asset) return errorResult(404, `No dashboard asset ${path}.`, 'route_not_found');
      return { statusCode: 200, headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' }, body: asset.body, isBase64Encoded: true };
    }
    if (method === 'GET' && path === '/config.json') {
      const config = {
        api_url: '',
        oidc: { issuer: options.origin(), client_id: DASHBOARD_CLIENT_ID, audience: options.audience, scope: options.scopes.join(' '), dev: true },
      };
      return page(JSON.stringify(config), TYPES['.json']!, { 'cache-control': 'no-cache' });
    }
    if (method === 'GET' && path === '/favicon.ico') return { statusCode: 204, headers: { 'cache-control': 'public, max-age=86400' }, body: '' };
    if (method === 'GET' && path === '/.well-known/oauth-authorization-server') return options.signIn.metadata(options.origin());
    if (path !== '/dev/authorize' && path !== '/dev/token') return undefined;
    if (!isOwnLoopbackRequest(request, options.origin())) {
      return signInPage({
        status: 403,
        problem: `The dev sign-in answers only at ${options.origin()}, from its own pages: open the dashboard there (requests for any other host name or from another site are refused).`,
      });
    }
    if (path === '/dev/authorize' && method === 'GET') return options.signIn.authorizePage(url, options.origin());
    if (method !== 'POST') return { ...errorResult(405, `Method ${method} is not allowed here.`, 'method_not_allowed'), headers: { allow: path === '/dev/token' ? 'POST' : 'GET, POST' } };
    if ((request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
      return errorResult(415, 'Send the form as application/x-www-form-urlencoded.', 'unsupported_media_type');
    }
    const form = await readForm();
    return path === '/dev/authorize' ? options.signIn.authorize(form, options.origin()) : options.signIn.token(form);
  };
}
