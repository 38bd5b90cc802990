import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { freePort } from '../../scripts/lib/embedded';
import { requireBinary } from './own-redis';
import { waitForAnswer } from './wait-for';

export interface OwnRedisCluster {
  /** `redis+cluster://127.0.0.1:p1,…`: what REDIS_URL takes for a cluster (libs/platform createRedis). */
  url: string;
  /** The masters' client ports. */
  ports: number[];
  /** A plain cluster client for assertions; the caller quits it. */
  client(): Cluster;
  /** Subscribers of a shard channel over all masters (PUBSUB SHARDNUMSUB on each). */
  shardSubscribers(channel: string): Promise<number>;
  /** Kills every node and deletes their files. */
  stop(): Promise<void>;
}

/** The fixture's waits read as sentences: what did not happen, within how long. */
const until = (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> =>
  waitForAnswer(check, timeoutMs, what);

function probe(port: number): Redis {
  const r = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  return r;
}

async function ask<T>(port: number, run: (r: Redis) => Promise<T>): Promise<T> {
  const r = probe(port);
  try {
    await r.connect();
    return await run(r);
  } finally {
    r.disconnect();
  }
}

/**
 * A Redis Cluster of the test's own: `masters` redis-server processes in cluster mode (no replicas,
 * no persistence) on free loopback ports, their slots spread by `redis-cli --cluster create`.
 * Resolves once every node reports cluster_state:ok.
 */
export async function startRedisCluster(masters = 3): Promise<OwnRedisCluster> {
  const server = requireBinary('redis-server', 'redis-server');
  const cli = requireBinary('redis-cli', 'redis-tools');
  const dir = mkdtempSync(join(tmpdir(), 'chat-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];

  const stop = async (): Promise<void> => {
    await Promise.all(
      children.splice(0).map((proc) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus port is given too: the default (port + 10000) may be taken, or past 65535.
      const [port, busPort] = [await freePort(), await freePort()];
      ports.push(port);
      const proc = spawn(
        server,
        [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      );
      children.push(proc);
    }
    for (const port of ports) {
      await until(
        `redis-server on ${port} did not answer`,
        10_000,
        async () => (await ask(port, (r) => r.ping())) === 'PONG',
      );
    }
    const created = spawnSync(
      cli,
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) {
      await until(`node ${port} did not reach cluster_state:ok`, 20_000, async () =>
        (await ask(port, (r) => r.cluster('INFO'))).includes('cluster_state:ok'),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    client: () => {
      const c = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
      c.on('error', () => undefined);
      return c;
    },
    shardSubscribers: async (channel) => {
      const counts = await Promise.all(
        ports.map((port) =>
          ask(port, async (r) => Number(((await r.call('PUBSUB', 'SHARDNUMSUB', channel)) as unknown[])[1])),
        ),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    stop,
  };
}
