import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorCodesMarkdown } from './errorCodeDocs';
import { ERROR_CODES } from './errorCodes';
import { toErrorBody } from './errorResponse';
import { ROUTES } from './routes';
import { createServiceRouter } from './serviceRouter';
import { ReadOnlyRegionError } from '@keyledger/domain';

const ROOT = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('errorCodes', () => {
  it('docs/errors.md is what the registry generates (run `npm run docs` after changing it)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8')).toBe(errorCodesMarkdown());
  });

  it('the code answers no errorCode the registry does not list', () => {
    const used = new Set<string>();
    const patterns = [/errorCode(?:\s*[:=]\s*|: )'([a-z_]+)'/g, /\berror\(\d{3}, [^;]*?, '([a-z_]+)'\)/g, /RequestValidationError\([^;]*?, '([a-z_]+)'\)/g];
    // The client SDK answers nothing: it reads the codes (its fallback for a body without one is not a server's code).
    const answering = [...sources(join(ROOT, 'packages')), ...sources(join(ROOT, 'services'))].filter((file) => !file.startsWith(join(ROOT, 'packages', 'client')));
    for (const file of answering) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of patterns) for (const match of text.matchAll(pattern)) used.add(match[1]!);
    }
    expect([...used]).toEqual(expect.arrayContaining(['log_not_found', 'route_not_found', 'invalid_body', 'secret_not_found', 'job_not_found']));
    expect([...used].filter((code) => !Object.hasOwn(ERROR_CODES, code))).toEqual([]);
  });
});

describe('read_only_region', () => {
  it('answers 503 with the message, which names the write Region (a client needs it to go there)', () => {
    const { body, expose } = toErrorBody(new ReadOnlyRegionError('eu-central-1', 'eu-west-1'));
    expect(expose).toBe(true);
    expect(body).toMatchObject({ statusCode: 503, errorCode: 'read_only_region', message: expect.stringContaining('changes are made in the write Region eu-west-1') });
  });
});

describe('the service router in a Region that serves reads only', () => {
  it('answers every change with 503 read_only_region before its handler, and serves reads and the cryptography', async () => {
    const called: string[] = [];
    const handlers = Object.fromEntries(ROUTES.filter((route) => route.service === 'crypto-data-plane').map((route) => [route.operation, async () => (called.push(route.operation), { statusCode: 200 })]));
    const router = createServiceRouter('crypto-data-plane', handlers, { regions: { region: 'eu-central-1', writeRegion: 'eu-west-1' } });
    const answer = (routeKey: string) => router({ routeKey } as never, {} as never);
    expect(await answer('POST /v1/namespaces/{ns}/decrypt')).toEqual({ statusCode: 200 });
    expect(await answer('GET /v1/secrets/{name}')).toEqual({ statusCode: 200 });
    expect(await answer('PUT /v1/secrets/{name}')).toMatchObject({ statusCode: 503, body: expect.stringContaining('read_only_region') });
    expect(await answer('POST /v1/secrets/reencrypt')).toMatchObject({ statusCode: 503 });
    // Only the two reads ran their handlers.
    expect(called).toHaveLength(2);
    // In the write Region, the same router changes things.
    const writer = createServiceRouter('crypto-data-plane', handlers, { regions: { region: 'eu-west-1', writeRegion: 'eu-west-1' } });
    expect(await writer({ routeKey: 'PUT /v1/secrets/{name}' } as never, {} as never)).toEqual({ statusCode: 200 });
  });
});
