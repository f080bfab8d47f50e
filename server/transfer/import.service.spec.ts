import { Readable } from 'node:stream';
import type { AppConfig, LimitsConfig } from '../config/config';
import { sessionsSettings } from '../config/config';
import { LiveEventsService } from '../events/live-events.service';
import { PubSubService } from '../events/pubsub.service';
import type { QuotaService } from '../limits/quota.service';
import type { PersonasService } from '../personas/personas.service';
import { MemoryRedis } from '../redis/memory-redis';
import { RedisKeys } from '../redis/redis-keys';
import type { StoreReplies, StoreTransaction } from '../redis/store';
import { SessionsRepository } from '../sessions/sessions.repository';
import { fromChatGpt } from './formats/chatgpt';
import { ImportRecordsRepository } from './import-records.repository';
import { ImportService } from './import.service';
import { TransferStore } from './transfer-store';

/** A small ChatGPT conversation: a question and its answer under an empty root. */
function chatGptConversation(i: number, title = `Conversation ${i}`) {
  const message = (id: string, role: string, text: string, at: number) => ({
    id,
    author: { role },
    create_time: at,
    content: { content_type: 'text', parts: [text] },
    status: 'finished_successfully',
    metadata: {},
  });
  return {
    title,
    create_time: 1_700_000_000 + i,
    update_time: 1_700_000_010 + i,
    conversation_id: `conv-${i}`,
    current_node: `a${i}`,
    mapping: {
      [`r${i}`]: { id: `r${i}`, message: null, parent: null, children: [`u${i}`] },
      [`u${i}`]: { id: `u${i}`, message: message(`u${i}`, 'user', `Question ${i}`, 1_700_000_001 + i), parent: `r${i}`, children: [`a${i}`] },
      [`a${i}`]: { id: `a${i}`, message: message(`a${i}`, 'assistant', `Answer ${i}`, 1_700_000_002 + i), parent: `u${i}`, children: [] },
    },
  };
}

const USER = 'u_importspec0000000000000';

describe('import in batches (embedded store)', () => {
  let redis: MemoryRedis;
  let keys: RedisKeys;
  let store: TransferStore;
  let sessions: SessionsRepository;
  /** Display names whose session MULTI is made to fail (its last command reports an error, as EXEC does for a command that failed inside it). */
  let failing: Set<string>;
  let pubsub: PubSubService;
  let live: LiveEventsService;
  /** Live events heard on the identity's channel, as another tab hears them. */
  let heard: Array<{ type: string; session_id: string; session?: { display_name: string } }>;

  const service = (limits: Partial<LimitsConfig> = {}, quotas: Partial<QuotaService> = {}) =>
    new ImportService(
      store,
      new ImportRecordsRepository(redis, keys),
      { require: (key: string) => ({ key }), find: () => undefined, defaultKey: () => 'default' } as unknown as PersonasService,
      quotas as QuotaService,
      { importMaxBytes: 1e9 } as AppConfig,
      { maxSessionsPerIdentity: 0, maxMessagesPerSession: 0, ...limits } as LimitsConfig,
      live,
    );
  const importText = (text: string, limits?: Partial<LimitsConfig>, quotas?: Partial<QuotaService>) =>
    service(limits, quotas).importFile(USER, { stream: Readable.from([Buffer.from(text)]), contentLength: undefined, contentType: 'application/json' }, {});
  const userKeys = async () => (await redis.scan('0', 'MATCH', `spec:{u:${USER}}*`, 'COUNT', 10_000))[1].sort();

  beforeEach(() => {
    redis = new MemoryRedis();
    keys = new RedisKeys({ keyPrefix: 'spec' });
    sessions = new SessionsRepository(redis, keys, sessionsSettings(3600));
    store = new TransferStore(sessions, redis, keys);
    pubsub = new PubSubService(redis);
    live = new LiveEventsService(pubsub, keys);
    heard = [];
    failing = new Set();
    const multi = redis.multi.bind(redis);
    // Watches each MULTI's name-lookup HSET (it carries the display name) and fails the chosen ones at EXEC.
    redis.multi = () => {
      const tx = multi();
      let fails = false;
      const watched: StoreTransaction = new Proxy(tx, {
        get(target, prop, receiver) {
          if (prop === 'exec') {
            return async (): Promise<StoreReplies> => {
              const replies = await target.exec();
              return fails && replies ? [...replies, [new Error('ERR injected failure'), null]] : replies;
            };
          }
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (prop === 'hset' && args[0] === keys.sessionNames(USER) && failing.has(args[1] as string)) fails = true;
            const out = value.apply(target, args);
            return out === target ? watched : out;
          };
        },
      });
      return watched;
    };
  });

  afterEach(async () => {
    await pubsub.onModuleDestroy();
    await redis.quit();
  });

  const listen = () => live.listen(USER, (_type, json) => heard.push(JSON.parse(json)));

  it('writes a batch of trees, each whole or not at all: a MULTI failing in the middle leaves nothing of its session', async () => {
    failing.add('Second');
    const trees = ['First', 'Second', 'Third'].map((title, i) => fromChatGpt(chatGptConversation(i, title), i));
    const outcomes = await store.writeSessionTrees(USER, trees.map((tree) => ({ tree, options: { persona: 'default', tags: ['imported'] } })));
    expect(outcomes.map((o) => ('error' in o ? o.error.message : o.session.display_name))).toEqual(['First', 'ERR injected failure', 'Third']);
    const written = outcomes.filter((o) => !('error' in o)).map((o) => ('session' in o ? o.session.id : ''));
    expect(await sessions.existing(USER, written)).toEqual([true, true]);
    expect((await sessions.list(USER, 10)).sessions.map((s) => s.display_name).sort()).toEqual(['First', 'Third']);
    expect(await redis.hget(keys.sessionNames(USER), 'Second')).toBeNull();
  });

  it('a conversation failing mid-batch fails the import and leaves nothing stored, also of the conversations around it', async () => {
    failing.add('Conversation 5');
    const file = JSON.stringify(Array.from({ length: 10 }, (_, i) => chatGptConversation(i)));
    const stop = await listen();
    await expect(importText(file)).rejects.toThrow('ERR injected failure');
    expect(await userKeys()).toEqual([]);
    await new Promise((r) => setImmediate(r));
    stop();
    expect(heard).toEqual([]); // nothing was announced of what was undone
  });

  it('announces each imported session to the identity\'s other tabs once the import stands; a second import announces none', async () => {
    const stop = await listen();
    const file = JSON.stringify(Array.from({ length: 150 }, (_, i) => chatGptConversation(i)));
    const report = await importText(file);
    await new Promise((r) => setImmediate(r));
    expect(heard.map((e) => e.type)).toEqual(Array(150).fill('session.created'));
    // Each session once; the report lists the first 100 of them.
    const ids = new Set(heard.map((e) => e.session_id));
    expect(ids.size).toBe(150);
    expect(report.conversations.every((c) => ids.has(c.session_id!))).toBe(true);
    expect(heard[0].session?.display_name).toBe(report.conversations.find((c) => c.session_id === heard[0].session_id)?.title);
    await importText(file);
    await new Promise((r) => setImmediate(r));
    stop();
    expect(heard).toHaveLength(150);
  });

  it('imports every conversation once, with its import record in the same MULTI: a second import creates nothing', async () => {
    const file = JSON.stringify(Array.from({ length: 150 }, (_, i) => chatGptConversation(i)));
    const first = await importText(file);
    expect(first).toMatchObject({ format: 'chatgpt', imported: 150, skipped: 0, messages: 300 });
    const stored = await userKeys();
    expect(stored).toContain(keys.imports(USER));
    const second = await importText(file);
    expect(second).toMatchObject({ imported: 0, skipped: 150, messages: 0 });
    expect(second.conversations[0]).toMatchObject({ position: 1, outcome: 'skipped', reason: expect.stringMatching(/^Already imported as session /) });
    expect(await userKeys()).toEqual(stored);
  });

  it('lists the first 100 conversations, then skipped ones up to 200 rows, and counts the rest as unlisted', async () => {
    // 120 conversations, then the first 100 again (skipped as repeats within the file).
    const conversations = Array.from({ length: 120 }, (_, i) => chatGptConversation(i));
    const report = await importText(JSON.stringify([...conversations, ...conversations.slice(0, 100)]));
    expect(report).toMatchObject({ imported: 120, skipped: 100, unlisted: 20 });
    expect(report.conversations).toHaveLength(200);
    expect(report.conversations.slice(0, 100).every((c) => c.outcome === 'imported')).toBe(true);
    expect(report.conversations.slice(100).map((c) => [c.position, c.reason])).toEqual(
      Array.from({ length: 100 }, (_, i) => [121 + i, 'The same conversation appears earlier in this file.']),
    );
  });

  it('stops at the session quota across batches: the rest are skipped saying why', async () => {
    const file = JSON.stringify(Array.from({ length: 70 }, (_, i) => chatGptConversation(i)));
    const quotas = { sessionsLeft: async () => 66, sessionLimitMessage: (count: number) => `Session limit reached (${count}).` };
    const report = await importText(file, { maxSessionsPerIdentity: 66 }, quotas);
    expect(report).toMatchObject({ imported: 66, skipped: 4 });
    expect(report.conversations.slice(66).map((c) => c.reason)).toEqual(Array(4).fill('Session limit reached (66).'));
    expect((await sessions.list(USER, 100)).sessions).toHaveLength(66);
  });
});
