import { ApiClient, ApiError } from './apiClient';

function scripted(answers: Array<Response | Error>) {
  const requests: Array<{ method: string; headers: Record<string, string> }> = [];
  const fetch = (async (_url: URL, init: RequestInit) => {
    requests.push({ method: String(init.method), headers: init.headers as Record<string, string> });
    const next = answers.shift()!;
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof globalThis.fetch;
  return { requests, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('the CLI\'s API client', () => {
  it('retries a POST after a 503 and a lost answer with one Idempotency-Key, waiting what Retry-After says', async () => {
    const waits: number[] = [];
    const { requests, fetch } = scripted([json(503, { message: 'busy' }, { 'retry-after': '2' }), new TypeError('socket hang up'), new Response(null, { status: 204 })]);
    const client = new ApiClient({ url: 'http://127.0.0.1:1', token: 't', fetch, sleep: async (ms) => void waits.push(ms) });
    await client.request('POST', '/api/v2/keys/encryption/rekey');
    expect(requests).toHaveLength(3);
    const keys = new Set(requests.map((request) => request.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(waits).toEqual([2_000, 1_000]);
  });

  it('gives up after three tries with the last error, and never retries a 4xx other than 429', async () => {
    const { requests, fetch } = scripted([json(429, {}, { 'retry-after': '1' }), json(429, {}), json(429, { message: 'Too many', errorCode: 'too_many_requests' })]);
    const client = new ApiClient({ url: 'http://127.0.0.1:1', token: 't', fetch, sleep: async () => undefined });
    await expect(client.request('GET', '/api/v2/logs')).rejects.toMatchObject({ statusCode: 429, errorCode: 'too_many_requests' });
    expect(requests).toHaveLength(3);
    expect(requests[0]!.headers['idempotency-key']).toBeUndefined();
    const refused = scripted([json(409, { message: 'conflict', errorCode: 'invalid_key_state' })]);
    const once = new ApiClient({ url: 'http://127.0.0.1:1', token: 't', fetch: refused.fetch, sleep: async () => undefined });
    await expect(once.request('DELETE', '/api/v2/keys/encryption/k')).rejects.toBeInstanceOf(ApiError);
    expect(refused.requests).toHaveLength(1);
  });
});
