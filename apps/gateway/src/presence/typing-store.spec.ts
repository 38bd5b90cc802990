import { randomUUID } from 'node:crypto';
import { createRedis } from '@chat/platform';
import { describeWithRedis, redisUrl } from '../../../../test/support/env';
import { MemoryTypingStore, RedisTypingStore, type TypingStore } from './typing-store';

function behaves(make: () => TypingStore) {
  it('reports only transitions, and lets only the latest stamp end the state', async () => {
    const store = make();
    const key = randomUUID();
    expect(await store.claim(key, 'replica-a:1', 5000)).toBe(true);
    expect(await store.claim(key, 'replica-b:1', 5000)).toBe(false);
    expect(await store.clearIfOwner(key, 'replica-a:1')).toBe(false);
    expect(await store.clearIfOwner(key, 'replica-b:1')).toBe(true);
    expect(await store.clear(key)).toBe(false);
    expect(await store.claim(key, 'replica-a:2', 5000)).toBe(true);
    expect(await store.clear(key)).toBe(true);
  });

  it('forgets a state nobody renewed', async () => {
    const store = make();
    const key = randomUUID();
    await store.claim(key, 't', 30);
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.claim(key, 'u', 5000)).toBe(true);
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
