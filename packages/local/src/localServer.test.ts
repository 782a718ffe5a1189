import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { silentLogger } from '@keyledger/domain';
import type { HttpResult } from '@keyledger/http';
import type { ConnectionLimits } from './connectionLimits';
import type { DevIssuer } from './devIssuer';
import { createLocalServer } from './localServer';

const issuer = { verify: async () => ({ sub: 'u', tenant_id: 'acme', scope: 'encrypt' }), jwks: { keys: [] } } as unknown as DevIssuer;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A local server whose one service holds every request with a body over 50 kB until `release()`. */
async function serve(limits: Partial<ConnectionLimits>) {
  const held: Array<() => void> = [];
  const server: Server = createLocalServer({
    issuer,
    logger: silentLogger,
    isReady: () => true,
    limits,
    services: {
      'crypto-data-plane': async (event): Promise<HttpResult> => {
        if ((event.body?.length ?? 0) > 50_000) await new Promise<void>((resolve) => held.push(resolve));
        if (event.body === 'fail') throw new Error('a failure after the whole body was read');
        return { statusCode: 200, body: String(event.body?.length ?? 0) };
      },
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/v1/namespaces/default/encrypt`;
  return {
    server,
    port,
    url,
    held,
    post: (bytes: number) => fetch(url, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: 'a'.repeat(bytes) }),
    async whenHeld(count: number) {
      while (held.length < count) await sleep(5);
    },
    async close() {
      for (const release of held) release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const connections = (server: Server) => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

describe('local server failures', () => {
  it('answers 500 when a handler fails after reading the whole body (not a dropped connection)', async () => {
    const stack = await serve({});
    try {
      const response = await fetch(stack.url, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: 'fail' });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ errorCode: 'internal_error' });
    } finally {
      await stack.close();
    }
  });
});

describe('local server limits', () => {
  it('answers 503 server_busy while the bodies in flight fill the budget, and takes requests again once they are done', async () => {
    const local = await serve({ maxBufferedBytes: 100_000 });
    try {
      const first = local.post(90_000);
      await local.whenHeld(1);
      const busy = await local.post(20_000);
      local.held[0]!();
      const done = await first;
      const again = await local.post(20_000);

      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(((await busy.json()) as { errorCode: string }).errorCode).toBe('server_busy');
      expect([done.status, await done.text()]).toEqual([200, '90000']);
      expect(again.status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('answers 503 server_busy beyond its requests in flight, pipelined ones included', async () => {
    const local = await serve({ maxRequestsInFlight: 2 });
    try {
      const socket = await open(local.port);
      const request = `POST /v1/namespaces/default/encrypt HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: 60000\r\n\r\n${'a'.repeat(60_000)}`;
      socket.write(request.repeat(3));
      await local.whenHeld(2);
      const third = await local.post(10);
      socket.destroy();

      expect(third.status).toBe(503);
      expect(((await third.json()) as { errorCode: string }).errorCode).toBe('server_busy');
    } finally {
      await local.close();
    }
  });

  it('refuses a declared Content-Length over the body limit before reading it', async () => {
    const local = await serve({});
    try {
      const socket = await open(local.port);
      socket.write(`POST /v1/namespaces/default/encrypt HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n{"plaintext":`);
      expect(await firstLine(socket)).toBe('HTTP/1.1 413 Payload Too Large');
      socket.destroy();
    } finally {
      await local.close();
    }
  });

  it('refuses a request target that is not ASCII', async () => {
    const local = await serve({});
    try {
      const socket = await open(local.port);
      socket.write(Buffer.concat([Buffer.from('GET /v1/secrets?namespace='), Buffer.from('é'), Buffer.from(' HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\n\r\n')]));
      expect(await firstLine(socket)).toBe('HTTP/1.1 400 Bad Request');
      socket.destroy();
    } finally {
      await local.close();
    }
  });

  it('closes a half-open client that stalls in its headers, freeing its connection', async () => {
    const local = await serve({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    try {
      const socket = await open(local.port, true);
      socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n');
      const line = await firstLine(socket);
      for (let i = 0; i < 100 && (await connections(local.server)) > 0; i += 1) await sleep(20);

      expect(line).toBe('HTTP/1.1 408 Request Timeout');
      expect(await connections(local.server)).toBe(0);
      socket.destroy();
    } finally {
      await local.close();
    }
  });
});

async function open(port: number, allowHalfOpen = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function firstLine(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (data.includes('\r\n')) resolve(data.split('\r\n')[0]!);
    });
  });
}
