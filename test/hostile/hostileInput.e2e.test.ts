/**
 * Hostile input over every route of the route table, against the real local server (HTTP, in
 * this process so that the event loop can be watched): generated paths, query strings and
 * bodies full of lone surrogates, invalid UTF-8, `__proto__`-like keys, huge and deep values,
 * Lucene operators and wildcards, percent-encodings and duplicate keys. Every answer must be a
 * success or a 4xx in the API's error shape, never a 5xx; the event loop must never stall; and a
 * refused request must change nothing the tenant can read.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import { silentLogger } from '@keyledger/domain';
import { ERROR_CODES, ROUTES, type Route } from '@keyledger/http';
import { readLocalConfig, startLocalStack, type RunningLocalStack } from '@keyledger/local';
import { hostileBody, hostilePathValue, hostileQuery, type HostileBody } from './hostileArbitraries';

jest.setTimeout(300_000);

const RUNS_PER_ROUTE = 30;
/** Far above any honest request here (a few ms); a backtracking matcher or parser stalls for seconds. */
const STALL_MS = 1_000;

let dataDir: string;
let stack: RunningLocalStack;
let token: string;
let shreds = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-hostile-'));
  const config = readLocalConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0', KEYLEDGER_OUTBOX_POLL_MS: '50' });
  stack = await startLocalStack(config, silentLogger);
  token = stack.adminToken;
  // Something to find, change and search: a secret, a ciphertext and log entries.
  await send({ method: 'PUT', path: '/v1/secrets/db.password', body: { kind: 'json', value: { value: 'hunter2' } } });
  await send({ method: 'POST', path: '/v1/namespaces/default/encrypt', body: { kind: 'json', value: { plaintext: 'aGVsbG8=' } } });
});

afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Request {
  method: string;
  path: string;
  query?: string;
  body?: HostileBody;
}

interface Answer {
  status: number;
  text: string;
}

async function send(request: Request, bearer = token): Promise<Answer> {
  const body = request.body === undefined ? undefined : request.body.kind === 'json' ? JSON.stringify(request.body.value) : request.body.bytes;
  const response = await fetch(`${stack.url}${request.path}${request.query ? `?${request.query}` : ''}`, {
    method: request.method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, text: await response.text() };
}

/**
 * What the tenant can read: its keys, secrets (with versions) and retention, and the jobs made
 * since `since` (jobs progress on their own, and a rekey's job is made a moment after it; its id
 * carries the rekey's time). A digest keeps failure messages short.
 */
async function tenantState(since: number): Promise<string> {
  const reads = ['/api/v2/keys/encryption', '/v1/secrets?namespace=secrets', '/v1/secrets?namespace=default', '/v1/secrets/db.password/versions', '/v1/keys/retention'];
  const answers = await Promise.all(reads.map((path) => send({ method: 'GET', path })));
  const jobs = JSON.parse((await send({ method: 'GET', path: '/v1/jobs?take=100' })).text) as { jobs: Array<{ id: string }> };
  const newJobs = jobs.jobs.map((job) => job.id).filter((id) => Number(id.split('_')[1]) >= since);
  return createHash('sha256').update(JSON.stringify([answers, newJobs])).digest('hex');
}

function requestFor(route: Route) {
  const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  return fc
    .record({
      path: fc.tuple(...parameters.map(() => hostilePathValue)).map((values) => {
        let path: string = route.path;
        parameters.forEach((name, index) => (path = path.replace(`{${name}}`, values[index]!)));
        return path;
      }),
      query: fc.option(hostileQuery, { nil: undefined }),
      body: route.method === 'GET' || route.method === 'DELETE' ? fc.constant(undefined) : fc.option(hostileBody, { nil: undefined }),
    })
    .map((parts): Request => ({ method: route.method, ...parts }));
}

describe('hostile input over every route', () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: 2xx or 4xx, no stall, nothing changed by a refusal', async (_name, route) => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    try {
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (request) => {
          // A shred that goes through ends its tenant: each run of it gets a tenant of its own (the refusals then change nothing there).
          const shred = route.method === 'DELETE' && route.path === '/v1/tenant';
          const bearer = shred ? await stack.issuer.sign({ tenant: `hostile-${++shreds}`, scopes: ['delete:tenant', 'read:encryption_keys'], expiresIn: 600 }) : token;
          const changes = route.method !== 'GET' && !shred;
          const started = Date.now();
          const before = changes ? await tenantState(started) : '';
          const answer = await send(request, bearer);

          expect(answer.status < 500 ? 'not 5xx' : answer.text).toBe('not 5xx');
          if (answer.status >= 400) {
            const error = JSON.parse(answer.text) as { statusCode: number; errorCode: string; message: string };
            expect(error.statusCode).toBe(answer.status);
            expect(Object.keys(ERROR_CODES)).toContain(error.errorCode);
            if (changes) expect(await tenantState(started)).toBe(before);
            if (shred && answer.status !== 410) expect((await send({ method: 'GET', path: '/api/v2/keys/encryption' }, bearer)).status).toBe(200);
          }
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    } finally {
      delay.disable();
    }
    expect(delay.max / 1e6).toBeLessThan(STALL_MS);
  });
});
