import { TokenCache } from './token-cache';

describe('TokenCache', () => {
  it('returns a cached user id until its entry is older than the TTL', () => {
    const cache = new TokenCache(10, 1000);
    cache.set('h1', 'u_1', 0);
    expect(cache.get('h1', 999)).toBe('u_1');
    expect(cache.get('h1', 1000)).toBeUndefined();
    expect(cache.get('h2', 0)).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = new TokenCache(2, 60_000);
    cache.set('a', 'u_a', 0);
    cache.set('b', 'u_b', 0);
    cache.set('c', 'u_c', 0);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)).toBe('u_b');
    expect(cache.get('c', 1)).toBe('u_c');
  });
});
