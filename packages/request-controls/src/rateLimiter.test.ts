import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbRateLimiter } from './dynamoDbRateLimiter';
import { MemoryRateLimiter, type RateLimiter } from './rateLimiter';

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

const T0 = Date.parse('2026-12-01T12:00:00.000Z');

const limiters: Array<[string, (limit: { rate: number; burst: number }, clock: () => Date) => RateLimiter]> = [
  ['in-process', (limit, clock) => new MemoryRateLimiter(limit, clock)],
  ['DynamoDB (dynalite)', (limit, clock) => new DynamoDbRateLimiter(limit, { client: dynamo.client, tableName: dynamo.tables.requestControls, clock })],
];

describe.each(limiters)('%s rate limiter', (_name, make) => {
  it('lets a burst through, then refuses with the wait until the next token, and refills at the rate', async () => {
    let now = T0;
    const limiter = make({ rate: 10, burst: 3 }, () => new Date(now));
    const tenant = `t${Math.random().toString(36).slice(2, 8)}`;
    const taken = [await limiter.take(tenant), await limiter.take(tenant), await limiter.take(tenant)];
    expect(taken.map((d) => [d.allowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0]]);
    expect(taken[2]).toMatchObject({ limit: 3, reset: Math.ceil((T0 + 300) / 1000), retryAfter: 0 });
    const refused = await limiter.take(tenant);
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0, retryAfter: 1 });
    // One token every 100 ms.
    now += 100;
    expect(await limiter.take(tenant)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.take(tenant)).allowed).toBe(false);
    // Quiet for a while: the bucket is full again.
    now += 5_000;
    expect(await limiter.take(tenant)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('keeps one bucket per tenant', async () => {
    const limiter = make({ rate: 1, burst: 1 }, () => new Date(T0));
    const [a, b] = [`a${Math.random().toString(36).slice(2, 8)}`, `b${Math.random().toString(36).slice(2, 8)}`];
    expect((await limiter.take(a)).allowed).toBe(true);
    expect((await limiter.take(a)).allowed).toBe(false);
    expect((await limiter.take(b)).allowed).toBe(true);
  });

  it('says how long to wait when the rate is below one per second', async () => {
    const limiter = make({ rate: 1, burst: 1 }, () => new Date(T0));
    const tenant = `s${Math.random().toString(36).slice(2, 8)}`;
    await limiter.take(tenant);
    expect(await limiter.take(tenant)).toMatchObject({ allowed: false, retryAfter: 1, reset: Math.ceil((T0 + 1000) / 1000) });
  });
});

describe.each(limiters)('%s rate limiter arithmetic', (_name, make) => {
  it('admits exactly the burst at one instant, whatever the rate (no rounding loses a request)', async () => {
    for (const [rate, burst] of [[7, 1], [7, 7], [3, 3], [13, 5], [199, 20], [300, 300]] as const) {
      const limiter = make({ rate, burst }, () => new Date(T0 + 123));
      const tenant = `r${rate}b${burst}${Math.random().toString(36).slice(2, 6)}`;
      const taken = [];
      for (let i = 0; i <= burst; i += 1) taken.push(await limiter.take(tenant));
      expect([rate, burst, taken.filter((d) => d.allowed).length]).toEqual([rate, burst, burst]);
      expect(taken[0]!.remaining).toBe(burst - 1);
    }
  });
});

describe('DynamoDB rate limiter shared by several instances', () => {
  it('takes grants from the table (one write for a tenth of the bucket) and still admits exactly the burst over instances', async () => {
    const clock = () => new Date(T0 + 180_000);
    const instances = [1, 2, 3].map(() => new DynamoDbRateLimiter({ rate: 200, burst: 200 }, { client: dynamo.client, tableName: dynamo.tables.requestControls, clock }));
    // Each Lambda instance serves one request at a time; the instances run side by side.
    const serve = async (count: number) =>
      (await Promise.all(instances.map(async (instance) => {
        const answers = [];
        for (let i = 0; i < count; i += 1) answers.push(await instance.take('granted'));
        return answers;
      }))).flat();
    const send = jest.spyOn(dynamo.client, 'send');
    try {
      const first = await serve(50);
      expect(first.every((d) => d.allowed)).toBe(true);
      // 20 requests per write while the bucket has room (a few more where a grant meets an idle bucket), not one per request.
      expect(send.mock.calls.length).toBeLessThanOrEqual(2 * Math.ceil(50 / 20) * 3);
      const rest = await serve(50);
      expect(first.length + rest.filter((d) => d.allowed).length).toBe(200);
    } finally {
      send.mockRestore();
    }
  });


  it('refuses by itself, without a write, until the bucket has a request again; and refuses when DynamoDB throttles', async () => {
    let now = T0 + 120_000;
    const limiter = new DynamoDbRateLimiter({ rate: 10, burst: 1 }, { client: dynamo.client, tableName: dynamo.tables.requestControls, clock: () => new Date(now) });
    const send = jest.spyOn(dynamo.client, 'send');
    try {
      expect((await limiter.take('flood')).allowed).toBe(true);
      expect((await limiter.take('flood')).allowed).toBe(false);
      const calls = send.mock.calls.length;
      for (let i = 0; i < 50; i += 1) expect(await limiter.take('flood')).toMatchObject({ allowed: false, retryAfter: 1, remaining: 0 });
      expect(send.mock.calls.length).toBe(calls);
      now += 100;
      expect((await limiter.take('flood')).allowed).toBe(true);
      send.mockImplementationOnce(async () => {
        throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' });
      });
      now += 1_000;
      expect(await limiter.take('flood')).toMatchObject({ allowed: false, retryAfter: 1 });
    } finally {
      send.mockRestore();
    }
  });


  it('admits exactly the burst across instances taking at once', async () => {
    const clock = () => new Date(T0 + 60_000);
    const instances = [1, 2, 3, 4].map(() => new DynamoDbRateLimiter({ rate: 5, burst: 10 }, { client: dynamo.client, tableName: dynamo.tables.requestControls, clock }));
    const decisions = await Promise.all(Array.from({ length: 24 }, (_, i) => instances[i % 4]!.take('shared')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
  });
});
