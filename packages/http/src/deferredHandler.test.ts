import { deferred } from './deferredHandler';

describe('deferred', () => {
  it('sets up once, when created, and serves every call with the same value', async () => {
    let setUps = 0;
    const handler = deferred(async () => {
      setUps += 1;
      return async (value: number) => value * 2;
    });
    expect(setUps).toBe(1);
    expect(await Promise.all([1, 2, 3].map(async (value) => (await handler())(value)))).toEqual([2, 4, 6]);
    expect(setUps).toBe(1);
  });

  it('fails the calls that waited on a failed set-up, then tries again on the next call', async () => {
    let attempt = 0;
    const handler = deferred(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('Secrets Manager unavailable');
      return async () => `ready after ${attempt}`;
    });
    await expect(handler()).rejects.toThrow('Secrets Manager unavailable');
    expect(await (await handler())()).toBe('ready after 2');
    expect(await (await handler())()).toBe('ready after 2');
    expect(attempt).toBe(2);
  });
});
