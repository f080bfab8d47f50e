import { MemoryRedis } from '../redis/memory-redis';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';
import { deleteKeysWithPrefix, uniquePrefix } from '../../test/support/redis';
import { openTestRedis } from '../../test/support/store';
import { entryAfter, GenerationLogRepository, LogEntry } from './generation-log.repository';
import { GenerationWriter } from './generation-writer';

const stores: Array<[string, () => Promise<Store>]> = [
  ['Redis', openTestRedis],
  ['embedded store', async () => new MemoryRedis()],
];

interface Sent {
  id: string;
  event: string;
  data: string;
}

function parseEvents(text: string): Sent[] {
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const lines = block.split('\n');
      const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))!.slice(name.length + 2);
      return { id: field('id'), event: field('event'), data: field('data') };
    });
}

const textOf = (data: string) => (JSON.parse(data) as { text: string }).text;

describe.each(stores)('generation writer: live events and the stream agree (%s)', (name, connect) => {
  let client: Store;
  let prefix: string;
  let log: GenerationLogRepository;

  beforeEach(async () => {
    client = await connect();
    prefix = uniquePrefix('genw');
    log = new GenerationLogRepository(client, new RedisKeys({ keyPrefix: prefix, url: undefined }));
  });
  afterEach(async () => {
    if (name === 'Redis') await deleteKeysWithPrefix(prefix);
    await client.quit();
  });

  it('sends each delta live with its own id; a resume after any of them gets exactly the rest', async () => {
    const writer = new GenerationWriter(log, 'u1', 's1');
    await writer.start('user_message', { id: 'm1' });
    let live = '';
    let ended = false;
    writer.attach({ write: (chunk) => (live += chunk), end: (last) => ((live += last), (ended = true)) });
    const pieces = ['Hel', 'lo', ' wö', 'rld 😀', '!', ' and', ' more'];
    // The first goes to the stream alone; the rest arrive within one window and share an entry.
    for (const piece of pieces) writer.delta(piece);
    expect(await writer.finish('done', { id: 'a1' })).toBe(true);
    expect(ended).toBe(true);

    const sent = parseEvents(live);
    expect(sent.map((e) => e.event)).toEqual(['user_message', ...pieces.map(() => 'delta'), 'done']);
    expect(sent.slice(1, -1).map((e) => textOf(e.data))).toEqual(pieces);
    expect(new Set(sent.map((e) => e.id)).size).toBe(sent.length);

    const stored = await log.read('u1', 's1', undefined);
    // Fewer entries than live events: the deltas were batched.
    expect(stored.length).toBeLessThan(sent.length);
    expect(stored.map((e) => e[0])).toContain(sent[sent.length - 1].id);

    const full = pieces.join('');
    for (let i = 0; i < sent.length; i++) {
      const seen = sent
        .slice(1, i + 1)
        .filter((e) => e.event === 'delta')
        .map((e) => textOf(e.data))
        .join('');
      const replayed: LogEntry[] = await log.read('u1', 's1', sent[i].id);
      if (replayed.length > 0) replayed[0] = entryAfter(replayed[0], sent[i].id);
      const rest = replayed
        .filter((e) => e[1] === 'delta')
        .map((e) => textOf(e[2]))
        .join('');
      expect(seen + rest).toBe(full);
      expect(replayed.length > 0 ? replayed[replayed.length - 1][1] : 'done').toBe('done');
    }
  });

  it('a resume from a batch entry id or from the start replays the stream as it is', async () => {
    const writer = new GenerationWriter(log, 'u1', 's2');
    await writer.start('user_message', { id: 'm1' });
    for (const piece of ['a', 'b', 'c']) writer.delta(piece);
    await writer.finish('done', {});
    const all = await log.read('u1', 's2', undefined);
    expect(all.map((e) => entryAfter(e, undefined))).toEqual(all);
    const [, first] = all;
    const after = await log.read('u1', 's2', first[0]);
    expect(after.map((e) => entryAfter(e, first[0]))).toEqual(after);
  });
});
