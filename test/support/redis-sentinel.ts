import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../scripts/lib/embedded';
import { requireBinary } from './own-redis';
import { waitForAnswer } from './wait-for';

export interface OwnRedisSentinel {
  /** `redis+sentinel://127.0.0.1:s1,…/<masterName>`: what REDIS_URL takes (libs/platform createRedis). */
  url: string;
  masterName: string;
  /** The data nodes' ports, the first the initial master. */
  dataPorts: number[];
  /** The sentinels' ports, in the URL's order. */
  sentinelPorts: number[];
  /** The port of the node the sentinels currently name as master (asks a live sentinel). */
  masterPort(): Promise<number>;
  /**
   * SIGKILLs the current master, as a crash would (no goodbye to clients or replicas); resolves
   * with its port. It stays down.
   */
  killMaster(): Promise<number>;
  /** SIGKILLs the `index`th sentinel of the URL (it stays down). */
  killSentinel(index: number): Promise<void>;
  /** Resolves with the new master's port once the sentinels name a node other than `oldPort` and it answers as a master. */
  failedOver(oldPort: number, timeoutMs: number): Promise<number>;
  /** A plain client of a data node, for assertions; the caller disconnects it. */
  node(port: number): Redis;
  /** Kills every process and deletes their files. */
  stop(): Promise<void>;
}

/** The fixture's waits read as sentences: what did not happen, within how long. */
const until = (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> =>
  waitForAnswer(check, timeoutMs, what);

async function ask<T>(port: number, run: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await run(r);
  } finally {
    r.disconnect();
  }
}

/** `SENTINEL MASTER <name>` as a map. */
async function sentinelView(port: number, name: string): Promise<Record<string, string>> {
  const flat = (await ask(port, (r) => r.call('SENTINEL', 'MASTER', name))) as string[];
  const view: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) view[flat[i]] = flat[i + 1];
  return view;
}

/**
 * A master, one replica (`replicaof`) and three sentinels (quorum 2) of the test's own, on free
 * loopback ports with their files in a fresh directory, no persistence. The sentinels notice a dead
 * master after 1 s (down-after-milliseconds) and give a failover 3 s (failover-timeout). Resolves
 * once the replica is in sync and every sentinel knows the replica and the two other sentinels,
 * so a failover can be agreed on from the start.
 *
 * Sentinels run as Debian's `redis-sentinel` (package redis-sentinel), or as `redis-server
 * --sentinel`, the same program, where only redis-server is installed.
 */
export async function startRedisSentinel(masterName = 'chatmaster'): Promise<OwnRedisSentinel> {
  const server = requireBinary('redis-server', 'redis-server');
  const sentinelBin = spawnSync('sh', ['-c', 'command -v redis-sentinel'], {
    encoding: 'utf8',
  }).stdout.trim();
  const dir = mkdtempSync(join(tmpdir(), 'chat-redis-sentinel-'));
  const children = new Map<number, ChildProcess>();
  const dataPorts = [await freePort(), await freePort()];
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];

  const stop = async (): Promise<void> => {
    const procs = [...children.values()];
    children.clear();
    await Promise.all(
      procs.map((proc) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };

  const masterPort = async (): Promise<number> => {
    let lastError: unknown;
    for (const port of sentinelPorts) {
      try {
        const addr = (await ask(port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName))) as
          [string, string] | null;
        if (addr) return Number(addr[1]);
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no sentinel names a master: ${(lastError as Error)?.message ?? 'none known'}`);
  };

  try {
    dataPorts.forEach((port, i) => {
      const nodeDir = join(dir, `node-${port}`);
      mkdirSync(nodeDir);
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDir,
        '--save',
        '',
        '--appendonly',
        'no',
        // Full syncs go straight over the socket, at once (the default waits 5 s for more replicas).
        '--repl-diskless-sync',
        'yes',
        '--repl-diskless-sync-delay',
        '0',
        ...(i > 0 ? ['--replicaof', '127.0.0.1', String(dataPorts[0])] : []),
      ];
      children.set(port, spawn(server, args, { stdio: 'ignore' }));
    });
    for (const port of dataPorts)
      await until(
        `redis-server on ${port} did not answer`,
        10_000,
        async () => (await ask(port, (r) => r.ping())) === 'PONG',
      );
    await until('the replica did not sync with the master', 15_000, async () =>
      (await ask(dataPorts[1], (r) => r.info('replication'))).includes('master_link_status:up'),
    );

    for (const port of sentinelPorts) {
      // Sentinel rewrites its configuration file (what it learnt, its id): one each, writable.
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${dataPorts[0]} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 3000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      const proc = sentinelBin
        ? spawn(sentinelBin, [conf], { stdio: 'ignore' })
        : spawn(server, [conf, '--sentinel'], { stdio: 'ignore' });
      children.set(port, proc);
    }
    // Sentinels find the replica in the master's INFO and each other through hello messages on the
    // master (every 2 s): wait for both, or a failover could not reach its quorum.
    for (const port of sentinelPorts)
      await until(`sentinel ${port} did not learn the replica and the other sentinels`, 20_000, async () => {
        const view = await sentinelView(port, masterName);
        return view['num-slaves'] === '1' && view['num-other-sentinels'] === '2' && view.flags === 'master';
      });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${masterName}`,
    masterName,
    dataPorts,
    sentinelPorts,
    masterPort,
    killMaster: async () => {
      const port = await masterPort();
      const proc = children.get(port);
      if (!proc || proc.exitCode !== null) throw new Error(`the master on ${port} is not running`);
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      return port;
    },
    killSentinel: async (index) => {
      const proc = children.get(sentinelPorts[index]);
      if (!proc || proc.exitCode !== null) throw new Error(`sentinel ${index} is not running`);
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    failedOver: async (oldPort, timeoutMs) => {
      let now = oldPort;
      await until('the sentinels did not promote a replica', timeoutMs, async () => {
        now = await masterPort();
        if (now === oldPort) return false;
        return (await ask(now, (r) => r.info('replication'))).includes('role:master');
      });
      return now;
    },
    node: (port) => {
      const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined);
      return r;
    },
    stop,
  };
}
