import { deferredHandler } from './deferredHandler';

describe('deferredHandler', () => {
  it('sets up once, when created, and serves every call with the same handler', async () => {
    let setUps = 0;
    const handler = deferredHandler(async () => {
      setUps += 1;
      return async (value: number) => value * 2;
    });
    expect(setUps).toBe(1);
    expect(await Promise.all([handler(1), handler(2), handler(3)])).toEqual([2, 4, 6]);
    expect(setUps).toBe(1);
  });

  it('fails the calls that waited on a failed set-up, then tries again on the next call', async () => {
    let attempt = 0;
    const handler = deferredHandler(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('Secrets Manager unavailable');
      return async () => `ready after ${attempt}`;
    });
    await expect(handler()).rejects.toThrow('Secrets Manager unavailable');
    expect(await handler()).toBe('ready after 2');
    expect(await handler()).toBe('ready after 2');
    expect(attempt).toBe(2);
  });
});
