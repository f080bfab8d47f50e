import { cli, until } from './support/redis-processes';
import { LocalSentinels, SENTINEL_MASTER_NAME, startLocalSentinels } from './support/redis-sentinel';
import { expectHealthy, Instances, spreadAcrossInstances, startInstances, survivesFailover } from './support/scale-scenario';

jest.setTimeout(90_000);

/** Three app instances on a master and a replica watched by three Sentinels. */
describe('scaling out: Redis Sentinel', () => {
  let redis: LocalSentinels;
  let s: Instances;
  beforeAll(async () => {
    redis = await startLocalSentinels();
    s = await startInstances({ REDIS_SENTINELS: redis.sentinels, REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME });
  });
  afterAll(async () => {
    await s?.close();
    await redis?.close();
  });

  it('serves one identity across instances, then rides out the crash of the master', async () => {
    await expectHealthy(s, 'sentinel');
    const { me, sessionId } = await spreadAcrossInstances(s);
    await survivesFailover(s, me, sessionId, async () => {
      // Replication is asynchronous; the crash is to test failover, not the last instant's writes.
      expect(await cli(redis.master, 'wait', '1', '2000')).toBe('1');
      redis.crash(redis.master);
    });
    await until('sentinels name the replica', async () => (await redis.currentMaster()) === redis.replica);
    await expectHealthy(s, 'sentinel');
  });
});
