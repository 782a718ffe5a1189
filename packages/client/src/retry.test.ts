import { backoffMs, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter } from './retry';

describe('retries', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, within maxDelayMs', () => {
    expect(backoffMs(DEFAULT_RETRY_POLICY, 1, () => 0)).toBe(50);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 1, () => 1)).toBe(100);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 3, () => 1)).toBe(400);
    expect(backoffMs(DEFAULT_RETRY_POLICY, 20, () => 1)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('retries 429, 5xx (not 501) and an Idempotency-Key still in use, nothing else', () => {
    expect([429, 500, 502, 503, 504].every((status) => isRetryableStatus(status))).toBe(true);
    expect([400, 401, 403, 404, 409, 422, 501].some((status) => isRetryableStatus(status))).toBe(false);
    expect(isRetryableStatus(409, 'idempotency_key_in_use')).toBe(true);
  });
});
