import { PubSubService } from '../events/pubsub.service';
import { MemoryRedis } from '../redis/memory-redis';
import { RedisKeys } from '../redis/redis-keys';
import { EntryIdClock, GenerationLogRepository, LogEntry } from './generation-log.repository';
import { GenerationFollower } from './generation-follower';
import type { GenerationsService } from './generations.service';

/** Holds every subscription back until `land()`: what a busy subscriber connection does. */
class LatePubSub extends PubSubService {
  private gate!: () => void;
  private readonly landed = new Promise<void>((resolve) => (this.gate = resolve));

  land(): void {
    this.gate();
  }

  override async listen(channel: string, handler: (message: string) => void): Promise<() => void> {
    await this.landed;
    return super.listen(channel, handler);
  }
}

describe('GenerationFollower', () => {
  let store: MemoryRedis;
  let pubsub: LatePubSub;
  let log: GenerationLogRepository;
  let follower: GenerationFollower;
  const clock = new EntryIdClock();
  const entry = (event: string, data: unknown): LogEntry => [clock.next(), event, JSON.stringify(data)];

  beforeEach(() => {
    store = new MemoryRedis();
    pubsub = new LatePubSub(store);
    log = new GenerationLogRepository(store, new RedisKeys({ keyPrefix: 'follow', url: undefined }));
    const generations = { isRunning: async () => true } as unknown as GenerationsService;
    follower = new GenerationFollower(log, pubsub, generations);
  });
  afterEach(async () => {
    await pubsub.onModuleDestroy();
    await store.quit();
  });

  it('replays before its subscription lands, and loses nothing written before it did', async () => {
    const first = entry('user_message', { id: 'm1' });
    await log.start('u1', 's1', [first]);
    const received: LogEntry[] = [];
    let ended!: () => void;
    const end = new Promise<void>((resolve) => (ended = resolve));
    const following = await follower.follow('u1', 's1', undefined, {
      entry: (e) => {
        received.push(e);
        if (e[1] === 'done') ended();
      },
      abandoned: () => undefined,
    });
    // The replay is ready although the subscription has not taken effect yet.
    expect(following.replayed.map((e) => e[0])).toEqual([first[0]]);
    expect(following.over).toBe(false);
    following.goLive();
    // Written and announced while nobody listened: only a read after subscribing finds it.
    const delta = entry('delta', { text: 'Hel' });
    await log.append('u1', 's1', [delta], false);
    pubsub.land();
    await new Promise((r) => setTimeout(r, 20));
    const done = entry('done', { id: 'm2' });
    await log.append('u1', 's1', [done], true);
    await end;
    expect(received.map((e) => e[0])).toEqual([delta[0], done[0]]);
  });
});
