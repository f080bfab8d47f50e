import { cli } from './support/redis-processes';
import { LocalCluster, startLocalCluster } from './support/redis-cluster';
import { expectHealthy, Instances, spreadAcrossInstances, startInstances, survivesFailover } from './support/scale-scenario';

jest.setTimeout(90_000);

/** Three app instances on a real local Redis Cluster (three masters, three replicas). */
describe('scaling out: Redis Cluster', () => {
  let cluster: LocalCluster;
  let s: Instances;
  beforeAll(async () => {
    cluster = await startLocalCluster();
    s = await startInstances({ REDIS_CLUSTER_NODES: cluster.seeds });
  });
  afterAll(async () => {
    await s?.close();
    await cluster?.close();
  });

  it('serves one identity across instances, then rides out the crash of the master holding its slot', async () => {
    await expectHealthy(s, 'cluster');
    const { me, sessionId } = await spreadAcrossInstances(s);
    const { master, replica } = await cluster.ownersOf(`${s.prefix}:{u:${me.user_id}}:identity`);
    expect(replica).toBeDefined();
    await survivesFailover(s, me, sessionId, async () => {
      // Replication is asynchronous; the crash is to test failover, not the last instant's writes.
      expect(await cli(master, 'wait', '1', '2000')).toBe('1');
      cluster.crash(master);
    });
    expect(await cluster.ownersOf(`${s.prefix}:{u:${me.user_id}}:identity`)).toMatchObject({ master: replica });
    await expectHealthy(s, 'cluster');
  });
});
