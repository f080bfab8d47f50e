/**
 * bench/search/profile.ts — what storing a message costs Redis, command by command, with and
 * without the search index: a throwaway redis-server, the chat's own message-store transactions
 * (appendAndReadRecent for the person's message, appendMessages for the answer, below the active
 * leaf), then the catch-up a search does (search.catchUp). For each phase: Redis main-thread CPU
 * µs per message (INFO cpu) and INFO commandstats (calls, and µs per call: wall-clock timings,
 * inflated on a busy machine; their shares are what to read), bytes received per message.
 *   node -r ts-node/register/transpile-only bench/search/profile.ts
 * N messages (default 2000) over S sessions (default 50); WARM=k first gives each session k
 * messages, taken into the index, so the measure is of long sessions of a known vocabulary.
 */
import type Redis from 'ioredis';
import { sessionsSettings } from '../../server/config/config';
import { RedisKeys } from '../../server/redis/redis-keys';
import type { Store } from '../../server/redis/store';
import { defineStoreScripts } from '../../server/redis/store-scripts';
import { SearchIndexRepository } from '../../server/search/search-index.repository';
import { SearchService } from '../../server/search/search.service';
import type { StoredMessage } from '../../server/sessions/session.model';
import { FIRST_HISTORY_FETCH } from '../../server/chat/chat.service';
import { SessionsRepository } from '../../server/sessions/sessions.repository';
import { table } from '../common/stats';
import { startRedis } from '../sessions-list/redis-server';
import { Corpus } from './corpus';

const N = Number(process.env.N ?? 2000);
const S = Number(process.env.S ?? 50);
const WARM = Number(process.env.WARM ?? 0);

async function snapshot(client: Redis): Promise<{ usec: number; bytes: number; stats: Map<string, { calls: number; usec: number }> }> {
  const [cpu, stats, net] = [await client.info('cpu'), await client.info('commandstats'), await client.info('stats')];
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const m of stats.matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) commands.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  return { usec: (field(cpu, 'used_cpu_user_main_thread') + field(cpu, 'used_cpu_sys_main_thread')) * 1e6, bytes: field(net, 'total_net_input_bytes'), stats: commands };
}

async function phase(client: Redis, label: string, work: () => Promise<unknown>): Promise<void> {
  await client.config('RESETSTAT');
  const before = await snapshot(client);
  await work();
  const after = await snapshot(client);
  const rows = [...after.stats].filter(([name]) => name !== 'info' && name !== 'config|resetstat').sort((a, b) => b[1].usec - a[1].usec);
  console.log(`${label}: Redis CPU ${((after.usec - before.usec) / N).toFixed(1)} µs, ${((after.bytes - before.bytes) / N).toFixed(0)} bytes received per message`);
  // EXEC and EVAL/EVALSHA time the commands they run as well: shares are of the other commands' time.
  const wraps = (name: string) => name === 'exec' || name.startsWith('eval');
  const total = rows.reduce((t, [name, s]) => t + (wraps(name) ? 0 : s.usec), 0);
  console.log(table([['command', 'calls per message', 'µs per call (wall)', 'share of commands\' µs'],
    ...rows.map(([name, s]) => [name, (s.calls / N).toFixed(2), (s.usec / s.calls).toFixed(2), wraps(name) ? '(runs others)' : `${((s.usec / total) * 100).toFixed(0)} %`])]));
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const client = redis.client;
  defineStoreScripts(client);
  const store = client as unknown as Store;
  const settings = sessionsSettings(0);
  const keys = new RedisKeys({ keyPrefix: 'profile' });
  const index = new SearchIndexRepository(store, keys, settings);
  const noIndex = { markPending: () => undefined } as unknown as SearchIndexRepository;
  const corpus = new Corpus();
  try {
    for (const [label, search] of [['without index', noIndex], ['with index', index]] as const) {
      const repo = new SessionsRepository(store, keys, settings, search);
      const service = new SearchService(index, repo);
      const userId = `u_profile${label.includes('without') ? 'n' : 'y'}`.padEnd(25, '0');
      const ids: string[] = [];
      for (let i = 0; i < S; i++) ids.push((await repo.create(userId, { display_name: `Profile ${i}`, persona: 'default', metadata: {} })).id);
      const tails = new Map(ids.map((id) => [id, { leaf: null as string | null, depth: 0 }]));
      const append = async (i: number) => {
        const id = ids[i % S];
        const tail = tails.get(id)!;
        const message = { id: `m_${label[0]}${i}`, role: tail.depth % 2 === 0 ? 'user' : 'assistant', content: corpus.message(), created_at: Date.now(), parent_id: tail.leaf, depth: tail.depth + 1 } as StoredMessage;
        if (message.role === 'user') await repo.appendAndReadRecent(userId, id, [message], Math.min(tail.depth + 2, FIRST_HISTORY_FETCH));
        else await repo.appendMessages(userId, id, [message]);
        tails.set(id, { leaf: message.id, depth: tail.depth + 1 });
      };
      for (let i = 0; i < WARM * S; i++) await append(N + i);
      await service.catchUp(userId);
      await phase(client, `append, ${label}`, async () => { for (let i = 0; i < N; i++) await append(i); });
      if (search === index) await phase(client, 'catch-up at the next search', () => service.catchUp(userId));
    }
  } finally {
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
