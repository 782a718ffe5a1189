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

  it('keeps least-recently-used order when hits on the newest entry skip the reordering', () => {
    const evicted: string[] = [];
    const cache = new BoundedCache<string>({ maxEntries: 2, ttlMs: 1_000, now: () => 0, onEvict: (value) => evicted.push(value) });
    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.get('b');
    cache.get('a');
    cache.get('a');
    cache.set('c', 'C'); // b is the least recently used
    expect(evicted).toEqual(['B']);
    cache.delete('c'); // the newest leaves; a hit on a still counts
    cache.get('a');
    cache.set('d', 'D');
    cache.set('e', 'E'); // a went before d
    expect(evicted).toEqual(['B', 'C', 'A']);
  });
});
