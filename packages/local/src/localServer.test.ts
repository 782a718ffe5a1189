import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { silentLogger } from '@keyledger/domain';
import type { HttpResult } from '@keyledger/http';
import type { DevIssuer } from './devIssuer';
import { createLocalServer } from './localServer';

const issuer = { verify: async () => ({ sub: 'u', tenant_id: 'acme', scope: 'encrypt' }), jwks: { keys: [] } } as unknown as DevIssuer;

describe('local server limits', () => {
  let server: Server;
  let url: string;
  let release: () => void = () => undefined;
  let held = 0;

  beforeAll(async () => {
    server = createLocalServer({
      issuer,
      logger: silentLogger,
      isReady: () => true,
      limits: { maxBufferedBytes: 100_000 },
      services: {
        'crypto-data-plane': async (event): Promise<HttpResult> => {
          // The first body is held until the test lets go of it.
          if ((event.body?.length ?? 0) > 50_000) {
            held += 1;
            await new Promise<void>((resolve) => (release = resolve));
          }
          return { statusCode: 200, body: String(event.body?.length ?? 0) };
        },
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/namespaces/default/encrypt`;
  });

  afterAll(async () => {
    release();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (bytes: number) =>
    fetch(url, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: 'a'.repeat(bytes) });

  it('answers 503 server_busy while the bodies in flight fill the budget, and takes requests again once they are done', async () => {
    const first = post(90_000);
    while (held === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const busy = await post(20_000);
    release();
    const done = await first;
    const again = await post(20_000);

    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { errorCode: string }).errorCode).toBe('server_busy');
    expect([done.status, await done.text()]).toEqual([200, '90000']);
    expect(again.status).toBe(200);
  });

  it('refuses a declared Content-Length over the body limit before reading it', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"plaintext":'); // the rest never comes
    });
    expect(status).toBe(413);
  });

  it('refuses percent-encoding that is not UTF-8', async () => {
    const answer = await fetch(`${url}?namespace=%ED%A0%80`, { method: 'POST', headers: { authorization: 'Bearer t' } });
    expect([answer.status, ((await answer.json()) as { errorCode: string }).errorCode]).toEqual([400, 'invalid_query_string']);
  });
});
