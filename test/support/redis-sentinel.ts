import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports';
import { cli, RedisProcesses, until } from './redis-processes';

export const SENTINEL_MASTER_NAME = 'mymaster';

/** A local master with one replica, watched by three Sentinels (quorum 2), on free ports. */
export interface LocalSentinels {
  master: number;
  replica: number;
  /** REDIS_SENTINELS for the app. */
  sentinels: string;
  /** The master's port as the Sentinels name it now. */
  currentMaster(): Promise<number>;
  crash(port: number): void;
  close(): Promise<void>;
}

export async function startLocalSentinels(): Promise<LocalSentinels> {
  const redis = new RedisProcesses();
  try {
    const [master, replica, ...sentinelPorts] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', redis.dir, '--daemonize', 'no'];
    await redis.start(master, ['--port', String(master), ...common, '--appendfilename', `m-${master}.aof`, '--appenddirname', `aof-${master}`]);
    await redis.start(replica, [
      '--port', String(replica), ...common, '--appendfilename', `r-${replica}.aof`, '--appenddirname', `aof-${replica}`,
      '--replicaof', '127.0.0.1', String(master),
    ]);
    await until('replica in sync', async () => (await cli(replica, 'info', 'replication')).includes('master_link_status:up'));
    for (const port of sentinelPorts) {
      // Sentinels rewrite their configuration file, so each gets its own.
      const conf = join(redis.dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`, 'bind 127.0.0.1', `dir ${redis.dir}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 3000`,
          '',
        ].join('\n'),
      );
      await redis.start(port, [conf, '--sentinel']);
    }
    // A failover needs every Sentinel to know the replica and the other Sentinels.
    await until('sentinels see the replica and each other', async () => {
      const views = await Promise.all(sentinelPorts.map((p) => cli(p, 'sentinel', 'master', SENTINEL_MASTER_NAME)));
      return views.every((v) => /num-slaves\n1\b/.test(v) && /num-other-sentinels\n2\b/.test(v));
    });
    const currentMaster = async () =>
      Number((await cli(sentinelPorts[0], 'sentinel', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)).split('\n')[1]);
    return {
      master,
      replica,
      sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      currentMaster,
      crash: (port) => redis.crash(port),
      close: () => redis.close(),
    };
  } catch (error) {
    await redis.close();
    throw error;
  }
}
