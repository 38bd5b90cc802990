import { randomUUID } from 'node:crypto';
import type { Message } from '@chat/contracts';
import { createRedis } from '@chat/platform';
import { describeWithRedis, redisUrl } from '../../../../test/support/env';
import { adapterParser, broadcastChannel } from '../infra/adapter-protocol';
import { MemoryOrderedPublisher, RedisOrderedPublisher, type OrderedPublisher } from './ordered-publisher';

const message = (channelId: string, seq: number): Message => ({
  id: randomUUID(),
  channelId,
  seq,
  author: { id: 'a', username: 'a', bot: false },
  body: `m${seq}`,
  attachments: [],
  clientId: null,
  createdAt: new Date(0).toISOString(),
  editedAt: null,
  deleted: false,
  threadId: null,
  replyCount: 0,
  lastReplyAt: null,
  reactions: [],
  mentions: { userIds: [], channel: false },
  pinned: false,
});

/** The same behaviour from both publishers; `published()` is what went out, in order. */
function behaves(
  make: () => Promise<{ publisher: OrderedPublisher; published: () => Promise<number[]>; channelId: string }>,
) {
  it('asks for a floor on a channel it knows nothing about', async () => {
    const { publisher, published, channelId } = await make();
    expect(await publisher.publish(message(channelId, 1))).toBe('unknown');
    expect(await published()).toEqual([]);
    expect(await publisher.lastPublished(channelId)).toBeNull();
  });

  it('holds back a seq until the ones before it went out, then releases them in order', async () => {
    const { publisher, published, channelId } = await make();
    expect(await publisher.publish(message(channelId, 3), 0)).toBe('queued');
    expect(await publisher.publish(message(channelId, 2))).toBe('queued');
    expect(await published()).toEqual([]);
    expect(await publisher.publish(message(channelId, 1))).toBe('published');
    expect(await published()).toEqual([1, 2, 3]);
    expect(await publisher.lastPublished(channelId)).toBe(3);
  });

  it('sends nothing twice: a seq already published is stale', async () => {
    const { publisher, published, channelId } = await make();
    expect(await publisher.publish(message(channelId, 6), 5)).toBe('published');
    expect(await publisher.publish(message(channelId, 6))).toBe('stale');
    expect(await publisher.publish(message(channelId, 4))).toBe('stale');
    expect(await published()).toEqual([6]);
  });
}

describe('MemoryOrderedPublisher', () => {
  behaves(() => {
    const out: number[] = [];
    return Promise.resolve({
      publisher: new MemoryOrderedPublisher((m) => out.push(m.seq)),
      published: () => Promise.resolve(out),
      channelId: randomUUID(),
    });
  });
});

describeWithRedis('RedisOrderedPublisher', () => {
  const prefix = `test_${randomUUID()}`;
  const redis = () => createRedis(redisUrl()!, 'test-pub');
  const clients: ReturnType<typeof redis>[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  behaves(async () => {
    const [pub, sub] = [redis(), redis()];
    clients.push(pub, sub);
    const channelId = randomUUID();
    const received: unknown[] = [];
    // What a socket.io adapter subscribed to the room's channel receives.
    sub.on('message', (_channel: string, raw: string) => received.push(adapterParser.decode(raw)));
    await sub.subscribe(broadcastChannel(prefix, `channel:${channelId}`));
    const publisher = new RedisOrderedPublisher(pub, prefix);
    return {
      publisher,
      channelId,
      // Redis answers the subscriber's PING after delivering everything published before it.
      published: async () => {
        await sub.ping();
        return received.map((entry) => {
          const [uid, packet, opts] = entry as [string, { data: [string, Message] }, { rooms: string[] }];
          expect([uid, packet.data[0], opts.rooms]).toEqual([
            'ordered-fanout',
            'message:new',
            [`channel:${channelId}`],
          ]);
          return packet.data[1].seq;
        });
      },
    };
  });
});
