import { TOKEN_CACHE_MS, TokenCache } from './token-cache';

describe('TokenCache', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('keeps an entry at most TOKEN_CACHE_MS from the start of the store read that produced it', () => {
    const cache = new TokenCache<{ user_id: string }>(10);
    const readStartedAt = Date.now();
    jest.advanceTimersByTime(300); // the read took 300 ms
    cache.set('h1', { user_id: 'u_1' }, readStartedAt);
    jest.advanceTimersByTime(TOKEN_CACHE_MS - 301);
    expect(cache.get('h1')).toEqual({ user_id: 'u_1' });
    jest.advanceTimersByTime(2);
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.get('h2')).toBeUndefined();
  });

  it('does not cache a read that took the whole window, and forgets deleted entries', () => {
    const cache = new TokenCache<{ user_id: string }>(10);
    cache.set('slow', { user_id: 'u_1' }, Date.now() - TOKEN_CACHE_MS);
    expect(cache.get('slow')).toBeUndefined();
    cache.set('h', { user_id: 'u_1' }, Date.now());
    cache.delete('h');
    expect(cache.get('h')).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the least recently used first', () => {
    const cache = new TokenCache<{ user_id: string }>(2);
    cache.set('a', { user_id: 'u_a' }, Date.now());
    cache.set('b', { user_id: 'u_b' }, Date.now());
    cache.set('c', { user_id: 'u_c' }, Date.now());
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ user_id: 'u_b' });
    expect(cache.get('c')).toEqual({ user_id: 'u_c' });
  });
});
