import { sessionsSettings } from '../config/config';
import { MemoryRedis } from '../redis/memory-redis';
import { RedisKeys } from '../redis/redis-keys';
import { rng } from '../../bench/search/corpus';
import { SearchCandidate, SearchIndexRepository, WORD_SCORE } from './search-index.repository';

/**
 * The threshold algorithm against the ranking it stands for, computed by brute force: every
 * session's sum over the query's words of its score in the word's set, plus its best score among
 * the prefix's expansions; best first, pages following each other without gaps or repeats.
 */
describe('search index candidates (threshold algorithm)', () => {
  const keys = new RedisKeys({ keyPrefix: 'spec' });
  const user = 'u_spec';
  const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'echo', 'fox', 'foxglove', 'foxtrot'];

  async function fill(seed: number) {
    const store = new MemoryRedis();
    const index = new SearchIndexRepository(store, keys, sessionsSettings(0));
    const random = rng(seed);
    const table = new Map<string, Map<string, number>>(); // term → session → score
    const tx = store.multi();
    for (let s = 0; s < 400; s++) {
      const id = `s_${String(s).padStart(4, '0')}`;
      for (const [rank, term] of WORDS.entries()) {
        // Common and rare words; recency loosely follows the session number, with some noise.
        if (random() > 0.9 / (rank + 1)) continue;
        const at = 1_000_000 + s * 50 + Math.floor(random() * 20_000);
        tx.indexTerms(keys.searchTerms(user), keys.searchSessionWords(user, id), keys.searchSessions(user), keys.searchTitleTerms(user, id), keys.searchTerm(user, ''), id, 0, WORD_SCORE + at, 1, term);
        if (!table.has(term)) table.set(term, new Map());
        table.get(term)!.set(id, WORD_SCORE + at);
      }
    }
    await tx.exec();
    return { index, table };
  }

  function expected(table: Map<string, Map<string, number>>, words: string[], expansions: string[]): SearchCandidate[] {
    const sums = new Map<string, number>();
    for (const w of words) for (const [id, score] of table.get(w) ?? []) sums.set(id, (sums.get(id) ?? 0) + score);
    const best = new Map<string, number>();
    for (const e of expansions) for (const [id, score] of table.get(e) ?? []) best.set(id, Math.max(best.get(id) ?? 0, score));
    for (const [id, score] of best) sums.set(id, (sums.get(id) ?? 0) + score);
    return [...sums].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : -1));
  }

  it.each([1, 2, 3])('ranks and pages exactly like the brute-force sum (seed %i)', async (seed) => {
    const { index, table } = await fill(seed);
    const queries: Array<[string[], string | null]> = [
      [['alpha', 'beta'], null],
      [['alpha', 'echo'], null],
      [['beta', 'gamma', 'delta'], null],
      [['alpha'], 'fox'],
      [['echo'], 'fox'],
      [['gamma', 'alpha'], 'fox'],
      [[], 'fox'],
      [['beta'], null],
    ];
    for (const [words, prefix] of queries) {
      const expansions = prefix === null ? [] : await index.expandPrefix(user, prefix);
      const all = expected(table, words, expansions);
      const got: SearchCandidate[] = [];
      let after: { score: number; id: string } | undefined;
      for (let page = 0; page < 100 && got.length < all.length; page++) {
        const found = await index.candidates(user, { words, prefix }, expansions, 20, after);
        if (found.length === 0) break;
        got.push(...found);
        after = { score: found[found.length - 1].score, id: found[found.length - 1].id };
      }
      expect([words, prefix, got]).toEqual([words, prefix, all]);
    }
  });
});
