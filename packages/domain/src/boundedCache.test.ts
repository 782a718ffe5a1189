import { BoundedCache } from './boundedCache';

describe('BoundedCache', () => {
  it('expires entries after their TTL, evicts the least recently used, and hands every leaving value to onEvict', () => {
    let now = 0;
    const evicted: string[] = [];
    const cache = new BoundedCache<string>({ maxEntries: 2, ttlMs: 100, now: () => now, onEvict: (value) => evicted.push(value) });
    cache.set('a', 'A');
    cache.set('b', 'B', 500);
    expect(cache.get('a')).toBe('A'); // a is now the most recently used
    cache.set('c', 'C');
    expect(evicted).toEqual(['B']);
    now = 100;
    expect(cache.get('a')).toBeUndefined();
    expect(evicted).toEqual(['B', 'A']);
    cache.set('c', 'C2');
    expect(evicted).toEqual(['B', 'A', 'C']);
    cache.deleteWhere((key) => key === 'c');
    expect(evicted).toEqual(['B', 'A', 'C', 'C2']);
    expect(cache.size).toBe(0);
  });
});
