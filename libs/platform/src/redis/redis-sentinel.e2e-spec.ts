import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { startRedisSentinel, type OwnRedisSentinel } from '../../../../test/support/redis-sentinel';
import { startTcpProxy, type TcpProxy } from '../../../../test/support/tcp-proxy';
import { waitFor } from '../../../../test/support/wait-for';
import { createRedis } from './redis';

/**
 * Clients of one `redis+sentinel://` URL through a master crash, with the sentinels behind a slow
 * link (answers 120 to 850 ms late). While the master is gone each client loops: ask a sentinel, connect,
 * refused, back off; on this link it spends most of that loop asking. ioredis's failover detector
 * (the `+switch-master` subscription) then closes the connector, and a client still asking had its
 * connect fail with "Connection is closed." and ended for good (ioredis 5.11): a dead Redis client
 * in a live replica. Every client has to come back on the promoted node, and only its owner may
 * end it.
 */
describe('Redis clients of a Sentinel URL through a master crash', () => {
  let sentinel: OwnRedisSentinel;
  const links: TcpProxy[] = [];
  /** One URL per link delay: clients on different delays are at different points of the loop. */
  const urls: string[] = [];
  const clients: Redis[] = [];

  beforeAll(async () => {
    // Thirty clients' reconnect warnings are noise here; what they did is asserted.
    Logger.overrideLogger(false);
    sentinel = await startRedisSentinel();
    for (const delayMs of [120, 250, 400, 600, 850]) {
      const set = await Promise.all(
        sentinel.sentinelPorts.map((port) =>
          startTcpProxy({ host: '127.0.0.1', port }, { answerDelayMs: delayMs }),
        ),
      );
      links.push(...set);
      urls.push(`redis+sentinel://${set.map((l) => `127.0.0.1:${l.port}`).join(',')}/${sentinel.masterName}`);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.quit()));
    await Promise.all(links.map((l) => l.close()));
    await sentinel?.stop();
  });

  it('brings every client back on the promoted master, none left ended', async () => {
    for (let i = 0; i < 30; i++) clients.push(createRedis(urls[i % urls.length], `client-${i}`) as Redis);
    await waitFor(() => clients.every((c) => c.status === 'ready'), 20_000, 'every client ready');
    const oldPort = await sentinel.killMaster();
    const newPort = await sentinel.failedOver(oldPort, 20_000);

    await waitFor(() => clients.every((c) => c.status === 'ready'), 20_000, 'every client ready again').catch(
      (err: Error) => {
        const ended = clients.filter((c) => c.status !== 'ready').map((c) => c.status);
        throw new Error(`${err.message}: ${ended.length} not ready (${ended.join(', ')})`);
      },
    );
    // Each answers, from the promoted node.
    const ports = await Promise.all(
      clients.map(async (c) => {
        await c.set(`k:${c.options.connectionName}`, '1');
        return c.stream.remotePort;
      }),
    );
    expect(new Set(ports)).toEqual(new Set([newPort]));

    // Closed by their owner, they stay closed.
    await Promise.all(clients.map((c) => c.quit()));
    await new Promise((r) => setTimeout(r, 1500));
    expect(clients.map((c) => c.status)).toEqual(clients.map(() => 'end'));
  }, 90_000);
});
