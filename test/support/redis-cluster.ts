import { freePort } from './ports';
import { cli, RedisProcesses, until } from './redis-processes';

export interface ClusterNodeInfo {
  id: string;
  port: number;
  master: boolean;
  masterId: string | undefined;
  failed: boolean;
  slots: Array<[number, number]>;
}

/** A local Redis Cluster of three masters with one replica each, on free ports. */
export interface LocalCluster {
  ports: number[];
  /** REDIS_CLUSTER_NODES for the app. */
  seeds: string;
  /** The master serving `key`'s slot and its replica, as a live node sees the cluster now. */
  ownersOf(key: string): Promise<{ master: number; replica: number | undefined }>;
  crash(port: number): void;
  /** The process id of the node on `port` (benchmarks read its CPU time). */
  pid(port: number): number;
  /** The folder of the nodes' files and logs (redis-<port>.log). */
  dir: string;
  close(): Promise<void>;
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
    return {
      id,
      port: Number(address.split('@')[0].split(':').pop()),
      master: flags.includes('master'),
      masterId: masterId === '-' ? undefined : masterId,
      failed: flags.includes('fail'),
      slots: slots.filter((s) => /^\d/.test(s)).map((s) => {
        const [from, to = from] = s.split('-').map(Number);
        return [from, to] as [number, number];
      }),
    };
  });
}

export async function startLocalCluster(): Promise<LocalCluster> {
  const redis = new RedisProcesses();
  try {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await freePort());
    await Promise.all(
      ports.map((port) =>
        redis.start(port, [
          '--port', String(port), '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes', '--cluster-config-file', `${redis.dir}/nodes-${port}.conf`,
          '--cluster-node-timeout', '1000', '--save', '', '--appendonly', 'yes',
          '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`, '--dir', redis.dir,
          '--daemonize', 'no', '--logfile', `${redis.dir}/redis-${port}.log`,
        ]),
      ),
    );
    await cli(ports[0], '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes');
    await until('cluster state ok on every node', async () => {
      const infos = await Promise.all(ports.map((p) => cli(p, 'cluster', 'info')));
      return infos.every((info) => info.includes('cluster_state:ok'));
    });
    // Replicas must be attached and in sync before a failover can be tested: a replica that never
    // finished its first sync refuses to take over.
    await until('every master has a replica in sync', async () => {
      const nodes = parseClusterNodes(await cli(ports[0], 'cluster', 'nodes'));
      const replicas = nodes.filter((n) => !n.master);
      if (!nodes.filter((n) => n.master).every((m) => replicas.some((r) => r.masterId === m.id))) return false;
      const links = await Promise.all(replicas.map((r) => cli(r.port, 'info', 'replication')));
      return links.every((info) => info.includes('master_link_status:up'));
    });
    const live = new Set(ports);
    return {
      ports,
      seeds: ports.map((p) => `127.0.0.1:${p}`).join(','),
      async ownersOf(key) {
        const asker = [...live][0];
        const slot = Number(await cli(asker, 'cluster', 'keyslot', key));
        const nodes = parseClusterNodes(await cli(asker, 'cluster', 'nodes'));
        const master = nodes.find((n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
        const replica = nodes.find((n) => n.masterId === master?.id && !n.failed);
        if (!master) throw new Error(`no master serves slot ${slot}`);
        return { master: master.port, replica: replica?.port };
      },
      crash(port) {
        live.delete(port);
        redis.crash(port);
      },
      pid: (port) => redis.pid(port),
      dir: redis.dir,
      close: () => redis.close(),
    };
  } catch (error) {
    await redis.close();
    throw error;
  }
}
