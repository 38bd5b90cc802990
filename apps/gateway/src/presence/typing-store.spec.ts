import { randomUUID } from 'node:crypto';
import { createRedis } from '@chat/platform';
import { describeWithRedis, redisUrl } from '../../../../test/support/env';
import { MemoryTypingStore, RedisTypingStore, type TypingStore } from './typing-store';

function behaves(make: () => TypingStore) {
  it('reports only transitions, and lets only the latest stamp end the state', async () => {
    const store = make();
    const [channel, user] = [randomUUID(), randomUUID()];
    expect(await store.claim(channel, user, 'replica-a:1', 5000, 5)).toBe('started');
    expect(await store.claim(channel, user, 'replica-b:1', 5000, 5)).toBe('renewed');
    expect(await store.clearIfOwner(channel, user, 'replica-a:1')).toBe(false);
    expect(await store.clearIfOwner(channel, user, 'replica-b:1')).toBe(true);
    expect(await store.clear(channel, user)).toBe(false);
    expect(await store.claim(channel, user, 'replica-a:2', 5000, 5)).toBe('started');
    expect(await store.clear(channel, user)).toBe(true);
  });

  it('forgets a state nobody renewed', async () => {
    const store = make();
    const [channel, user] = [randomUUID(), randomUUID()];
    await store.claim(channel, user, 't', 30, 5);
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.claim(channel, user, 'u', 5000, 5)).toBe('started');
  });

  it('shows at most maxShown typists of a channel; a freed slot goes to the next renewal', async () => {
    const store = make();
    const channel = randomUUID();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    expect(await store.claim(channel, a, 'a1', 5000, 2)).toBe('started');
    expect(await store.claim(channel, b, 'b1', 5000, 2)).toBe('started');
    expect(await store.claim(channel, c, 'c1', 5000, 2)).toBe('hidden');
    // Another channel has its own slots.
    expect(await store.claim(randomUUID(), c, 'c1', 5000, 2)).toBe('started');
    // Hidden means no state: stopping or lapsing it reports nothing.
    expect(await store.clear(channel, c)).toBe(false);
    expect(await store.clearIfOwner(channel, c, 'c1')).toBe(false);
    expect(await store.claim(channel, a, 'a2', 5000, 2)).toBe('renewed');
    expect(await store.clear(channel, a)).toBe(true);
    expect(await store.claim(channel, c, 'c2', 5000, 2)).toBe('started');
    expect(await store.claim(channel, a, 'a3', 5000, 2)).toBe('hidden');
  });

  it('frees the slot of a typist nobody renewed', async () => {
    const store = make();
    const channel = randomUUID();
    // Long enough that the second claim comes before it lapses on a loaded machine (30 ms did not,
    // once in CI), short enough to wait out.
    await store.claim(channel, 'a', 't', 1000, 1);
    expect(await store.claim(channel, 'b', 'u', 5000, 1)).toBe('hidden');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await store.claim(channel, 'b', 'u', 5000, 1)).toBe('started');
  });
}

describe('MemoryTypingStore', () => behaves(() => new MemoryTypingStore()));

describeWithRedis('RedisTypingStore', () => {
  let redis: ReturnType<typeof createRedis>;
  beforeAll(() => {
    redis = createRedis(redisUrl()!, 'test-typing');
  });
  behaves(() => new RedisTypingStore(redis, `test_${randomUUID()}`));
  afterAll(() => redis.quit());
});
