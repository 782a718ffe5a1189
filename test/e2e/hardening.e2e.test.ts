/**
 * The attacks of the hardening issue, repeated against `npm start`'s server: a log search that
 * stalled every tenant, `__proto__` contexts that bound nothing, lone surrogates and invalid
 * UTF-8, an alphabet without entropy, query parse errors as 500s, world-readable data files,
 * and connections that were never bounded or timed out.
 */
import { readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(180_000);

let dataDir: string;
let server: ServerProcess;
let token: string;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

const adminToken = (output: string) => /admin token for tenant '[^']+' \(12 h\):\n(\S+)/.exec(output)![1]!;
const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-hardening-'));
  server = await startServer(stackEnv(await freePort(), dataDir));
  token = adminToken(server.output());
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('log search cannot stall the server', () => {
  beforeAll(async () => {
    // About a hundred log entries, as in the report (each change writes some).
    for (let i = 0; i < 40; i += 1) expect((await call('PUT', `/v1/secrets/s${i}`, { value: `v${i}` })).status).toBe(201);
  });

  it('answers the reported wildcard search within its budget while /healthz stays quick', async () => {
    let slowest = 0;
    let searching = true;
    const probe = (async () => {
      while (searching) {
        const started = performance.now();
        await fetch(`${server.url}/healthz`);
        slowest = Math.max(slowest, performance.now() - started);
        await sleep(20);
      }
    })();
    const hostile = ['log_id:*?*?*?*?*?*?x', `log_id:${'*?'.repeat(16)}x`, `user_agent:*${'a*'.repeat(15)}b`, '(type:a AND (ip:b OR '.repeat(8)];
    const answers = [];
    for (let round = 0; round < 5; round += 1) {
      for (const q of hostile) answers.push(await call('GET', `/api/v2/logs?q=${encodeURIComponent(q)}&include_totals=true`));
    }
    searching = false;
    await probe;

    for (const answer of answers) expect([200, 400]).toContain(answer.status);
    expect(answers[0]).toMatchObject({ status: 200, body: { total: 0 } });
    expect(answers[3]).toMatchObject({ status: 400, body: { errorCode: 'invalid_query_string' } });
    expect(slowest).toBeLessThan(250);
  });

  it.each(['NOT', 'AND', '__proto__:1', 'type:(', 'type:/x.*/'])('answers q=%s with 400 invalid_query_string', async (q) => {
    const { status, body } = await call('GET', `/api/v2/logs?q=${encodeURIComponent(q)}`);
    expect([status, body.errorCode]).toEqual([400, 'invalid_query_string']);
  });

  it('answers a missing log entry with log_not_found, and links the next page relatively', async () => {
    const missing = await call('GET', `/api/v2/logs/${'9'.repeat(20)}${'0'.repeat(32)}`);
    const page = await call('GET', '/api/v2/logs?take=5', undefined, { 'x-forwarded-proto': 'javascript' });

    expect([missing.status, missing.body.errorCode]).toEqual([404, 'log_not_found']);
    expect(page.headers.get('link')).toMatch(/^<\/api\/v2\/logs\?from=\d{20}[0-9a-f]{32}&take=5>; rel="next"$/);
  });
});

describe('every context byte binds', () => {
  const plaintext = Buffer.from('tenant-b data').toString('base64');

  it('binds a __proto__ key like any other: decrypting without it, with {} or another value fails', async () => {
    const sealed = await call('POST', '/v1/namespaces/default/encrypt', '{"plaintext":"' + plaintext + '","encryption_context":{"__proto__":"tenant-b"}}');
    expect(sealed.status).toBe(200);
    const ciphertext = sealed.body.ciphertext as string;

    const without = await call('POST', '/v1/namespaces/default/decrypt', { ciphertext });
    const empty = await call('POST', '/v1/namespaces/default/decrypt', { ciphertext, encryption_context: {} });
    const other = await call('POST', '/v1/namespaces/default/decrypt', `{"ciphertext":"${ciphertext}","encryption_context":{"__proto__":"anything"}}`);
    const same = await call('POST', '/v1/namespaces/default/decrypt', `{"ciphertext":"${ciphertext}","encryption_context":{"__proto__":"tenant-b"}}`);

    expect([without.status, empty.status, other.status]).toEqual([400, 400, 400]);
    expect(without.body.errorCode).toBe('decryption_failed');
    expect(same).toMatchObject({ status: 200, body: { plaintext } });
  });

  it('binds __proto__ and constructor in secrets too', async () => {
    const put = await call('PUT', '/v1/secrets/proto.secret', '{"value":"s3cret","encryption_context":{"__proto__":"tenant-b","constructor":"x"}}');
    const bare = await call('GET', '/v1/secrets/proto.secret');
    const right = await call('GET', `/v1/secrets/proto.secret?encryption_context=${encodeURIComponent('{"__proto__":"tenant-b","constructor":"x"}')}`);

    expect(put.status).toBe(201);
    expect(bare.status).toBe(400);
    expect(right).toMatchObject({ status: 200, body: { value: 's3cret' } });
  });

  it('refuses an object where a context value must be a string', async () => {
    const { status, body } = await call('POST', '/v1/namespaces/default/encrypt', `{"plaintext":"${plaintext}","encryption_context":{"__proto__":{"x":"y"}}}`);
    expect([status, body.errorCode]).toEqual([400, 'invalid_body']);
    expect(body.message).toContain('encryption_context.__proto__: values must be strings');
  });
});

describe('text is strict', () => {
  it('refuses a lone surrogate in a context value, naming the field', async () => {
    const { status, body } = await call('POST', '/v1/namespaces/default/encrypt', `{"plaintext":"aGk=","encryption_context":{"k":"\\ud800"}}`);
    expect([status, body.errorCode]).toEqual([400, 'invalid_body']);
    expect(body.message).toContain('encryption_context.k');
  });

  it('refuses invalid UTF-8 and lone surrogates in secret values, and stores nothing', async () => {
    const invalid = await call('PUT', '/v1/secrets/bad.bytes', Buffer.concat([Buffer.from('{"value":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]));
    const cesu = await call('PUT', '/v1/secrets/bad.bytes', Buffer.from('{"value":"\xed\xa0\x80"}', 'latin1'));
    const escaped = await call('PUT', '/v1/secrets/bad.bytes', '{"value":"\\udfff"}');
    const stored = await call('GET', '/v1/secrets/bad.bytes');

    expect([invalid.status, invalid.body.message]).toEqual([400, 'Body is not valid UTF-8.']);
    expect([cesu.status, cesu.body.message]).toEqual([400, 'Body is not valid UTF-8.']);
    expect([escaped.status, escaped.body.errorCode]).toEqual([400, 'invalid_body']);
    expect(escaped.body.message).toContain('Body value');
    expect([stored.status, stored.body.errorCode]).toEqual([404, 'secret_not_found']);
  });

  it('refuses query strings and paths whose percent-encoding is not UTF-8', async () => {
    const query = await call('GET', '/v1/secrets?namespace=%ff');
    const path = await call('GET', '/v1/secrets/db%ED%A0%80');

    expect([query.status, query.body.errorCode]).toEqual([400, 'invalid_query_string']);
    expect([path.status, path.body.errorCode]).toEqual([400, 'invalid_uri']);
    expect(path.body.message).toContain('Path parameter name');
  });

  it('refuses an alphabet of two lone surrogates, and states the entropy of what it generates', async () => {
    const surrogates = await call('POST', '/v1/secrets/rotated/rotate', '{"length":16,"characters":"\\ud800\\udbff"}');
    const two = await call('POST', '/v1/secrets/rotated/rotate', { length: 16, characters: 'ab' });

    expect([surrogates.status, surrogates.body.errorCode]).toEqual([400, 'invalid_body']);
    expect(surrogates.body.message).toContain('Body characters');
    expect(two).toMatchObject({ status: 201, body: { entropy_bits: 16 } });
    expect(two.body.value).toMatch(/^[ab]{16}$/);
  });
});

async function modes(dir: string): Promise<string[]> {
  const wrong: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const at = pending.pop()!;
    if (((await lstat(at)).mode & 0o777) !== 0o700) wrong.push(`${at} ${((await lstat(at)).mode & 0o777).toString(8)}`);
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile() && ((await lstat(path)).mode & 0o777) !== 0o600) wrong.push(`${path} ${((await lstat(path)).mode & 0o777).toString(8)}`);
    }
  }
  return wrong;
}

describe('data files', () => {
  it('are 0600 in 0700 dirs, LevelDB files included', async () => {
    const files = await readdir(join(dataDir, 'dynamodb'), { recursive: true });
    expect(files.length).toBeGreaterThan(3);
    expect(await modes(dataDir)).toEqual([]);
  });
});

/** Opens a raw connection to the server. */
async function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent and when it closed, or undefined if it did not within `ms`. */
function closed(socket: Socket, ms: number): Promise<{ afterMs: number; data: string } | undefined> {
  const started = performance.now();
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ afterMs: performance.now() - started, data });
    });
  });
}

describe('connections are bounded', () => {
  it('keeps RSS under 400 MB with 400 connections holding 1 MB bodies, and gives the memory back', async () => {
    const pid = server.child.pid!;
    const before = rssBytes(pid);
    const body = Buffer.alloc(1024 * 1024, 0x61);
    const head = `POST /v1/namespaces/default/encrypt HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length + 1}\r\n\r\n`;
    const sockets: Socket[] = [];
    let peak = before;
    for (let i = 0; i < 400; i += 1) {
      try {
        const socket = await open(server.url);
        socket.on('error', () => undefined);
        socket.write(head);
        socket.write(body); // one byte short: the server waits for the rest
        sockets.push(socket);
      } catch {
        // refused: over the connection cap
      }
      if (i % 50 === 49) peak = Math.max(peak, rssBytes(pid));
    }
    for (let i = 0; i < 10; i += 1) {
      await sleep(200);
      peak = Math.max(peak, rssBytes(pid));
    }
    const health = await fetch(`${server.url}/healthz`);
    for (const socket of sockets) socket.destroy();
    await sleep(2_000);
    const after = rssBytes(pid);

    expect(health.status).toBe(200);
    expect(peak).toBeLessThan(400 * 1024 * 1024);
    expect(after).toBeLessThan(Math.max(before, 0) + 100 * 1024 * 1024);
  });

  describe('with short timeouts, a server whose data dir already existed with wider modes', () => {
    let other: ServerProcess;
    let otherDir: string;

    beforeAll(async () => {
      otherDir = await mkdtemp(join(tmpdir(), 'keyledger-hardening-modes-'));
      await chmod(otherDir, 0o755);
      // chmod, not create modes: this process's umask may be anything.
      await mkdir(join(otherDir, 'notes'));
      await chmod(join(otherDir, 'notes'), 0o755);
      await writeFile(join(otherDir, 'notes', 'readme.txt'), 'left by someone');
      await chmod(join(otherDir, 'notes', 'readme.txt'), 0o644);
      expect(await modes(otherDir)).toHaveLength(3);
      other = await startServer({
        ...stackEnv(await freePort(), otherDir),
        KEYLEDGER_HTTP_HEADERS_TIMEOUT: 'PT1S',
        KEYLEDGER_HTTP_REQUEST_TIMEOUT: 'PT2S',
        KEYLEDGER_HTTP_KEEP_ALIVE_TIMEOUT: 'PT1S',
      });
    });

    afterAll(async () => {
      await other?.stop();
      if (otherDir) await rm(otherDir, { recursive: true, force: true });
    });

    it('narrows the modes of what was there at start-up', async () => {
      expect(await modes(otherDir)).toEqual([]);
    });

    it('closes a connection that never sends its headers, with 408 request_timeout', async () => {
      const socket = await open(other.url);
      socket.write('POST /v1/namespaces/default/encrypt HTTP/1.1\r\nhost: 127.0.0.1\r\n');
      const end = await closed(socket, 8_000);

      expect(end).toBeDefined();
      expect(end!.data).toMatch(/^HTTP\/1\.1 408/);
      expect(end!.data).toContain('"errorCode":"request_timeout"');
    });

    it('closes a request whose body never finishes', async () => {
      const socket = await open(other.url);
      socket.write(`POST /v1/namespaces/default/encrypt HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${adminToken(other.output())}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"plaintext":`);
      const end = await closed(socket, 8_000);

      expect(end).toBeDefined();
      expect(end!.afterMs).toBeGreaterThan(1_000);
    });

    it('closes an idle kept-alive connection after its keep-alive timeout', async () => {
      const socket = await open(other.url);
      socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      const end = await closed(socket, 8_000);

      expect(end).toBeDefined();
      expect(end!.data).toMatch(/^HTTP\/1\.1 200/);
      expect(end!.afterMs).toBeGreaterThan(900);
    });
  });
});
