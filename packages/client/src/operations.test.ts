import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATA_PLANE_LIMITS } from '@keyledger/data-plane';
import { ROUTES } from '@keyledger/http';
import { KeyledgerClient, OPERATION_METHODS } from './client';
import { SERVICE_DATA_KEY_LIMITS } from './limits';
import { OPERATIONS, type OperationId } from './operations';

const ROOT = join(__dirname, '..', '..', '..');
const document = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
const documented = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).flatMap(([method, operation]) => (operation.operationId ? [{ operation: operation.operationId, method: method.toUpperCase(), path }] : [])),
);

describe('the client covers the API', () => {
  it('has generated/openapi.ts and src/operations.ts exactly as docs/openapi.json generates them', () => {
    // Exits non-zero, naming the stale file, when a route changed without `npm run generate -w @keyledger/client`.
    expect(() => execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'generate.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('knows every operation of docs/openapi.json and of the route table, with its method and path', () => {
    expect(documented.length).toBe(ROUTES.length);
    for (const route of ROUTES) {
      expect(OPERATIONS[route.operation as OperationId]).toEqual({ method: route.method, path: route.path });
    }
    for (const { operation, method, path } of documented) expect(OPERATIONS[operation as OperationId]).toEqual({ method, path });
    expect(Object.keys(OPERATIONS).sort()).toEqual(ROUTES.map((route) => route.operation).sort());
  });

  it('has a method for every operation (its operationId, or the name OPERATION_METHODS gives it)', () => {
    const methodOf = (operation: string) => (OPERATION_METHODS as Record<string, string>)[operation] ?? operation;
    const missing = ROUTES.map((route) => route.operation).filter((operation) => typeof (KeyledgerClient.prototype as unknown as Record<string, unknown>)[methodOf(operation)] !== 'function');
    expect(missing).toEqual([]);
  });

  it('sends each method to its route', async () => {
    const seen: string[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      seen.push(`${init.method} ${new URL(url).pathname}`);
      return new Response(init.method === 'DELETE' ? null : '{}', { status: init.method === 'DELETE' ? 204 : 200 });
    }) as unknown as typeof globalThis.fetch;
    const client = new KeyledgerClient({ baseUrl: 'http://127.0.0.1:1', token: 't', fetch });
    await client.getEncryptionKey('k1');
    await client.serverEncrypt('ns', { plaintext: '' });
    await client.deleteSecret('a b', { namespace: 'secrets' });
    expect(seen).toEqual(['GET /api/v2/keys/encryption/k1', 'POST /v1/namespaces/ns/encrypt', 'DELETE /v1/secrets/a%20b']);
  });

  it("caps its data key bounds at the service's own", () => {
    expect(SERVICE_DATA_KEY_LIMITS).toEqual({
      maxMessages: DEFAULT_DATA_PLANE_LIMITS.dataKeyMaxMessages,
      maxBytes: DEFAULT_DATA_PLANE_LIMITS.dataKeyMaxBytes,
      maxAgeMs: DEFAULT_DATA_PLANE_LIMITS.dataKeyMaxAgeMs,
    });
  });
});
