import { loadGatewayConfig } from './config';

describe('gateway config: the socket.io adapter', () => {
  it('defaults to the classic adapter and takes the sharded one, on one Redis or a cluster', () => {
    expect(loadGatewayConfig({}).socket.adapter).toBe('classic');
    const sharded = loadGatewayConfig({
      SOCKET_ADAPTER: 'sharded',
      REDIS_URL: 'redis+cluster://10.0.0.1:6379,10.0.0.2:6379',
    });
    expect(sharded.socket.adapter).toBe('sharded');
    expect(sharded.redis.url).toBe('redis+cluster://10.0.0.1:6379,10.0.0.2:6379');
    expect(loadGatewayConfig({ SOCKET_ADAPTER: 'sharded', REDIS_URL: 'redis://r:6379' }).socket.adapter).toBe(
      'sharded',
    );
  });

  it('refuses an unknown adapter, and a prefix with a hash-tag brace where slots matter', () => {
    expect(() => loadGatewayConfig({ SOCKET_ADAPTER: 'spublish' })).toThrow(/SOCKET_ADAPTER/);
    expect(() => loadGatewayConfig({ SOCKET_ADAPTER: 'sharded', REDIS_PREFIX: 'chat{a}' })).toThrow(
      /REDIS_PREFIX/,
    );
    expect(() => loadGatewayConfig({ REDIS_URL: 'redis+cluster://h:1', REDIS_PREFIX: '{chat' })).toThrow(
      /REDIS_PREFIX/,
    );
    expect(loadGatewayConfig({ REDIS_URL: 'redis://h:1', REDIS_PREFIX: 'a{b}' }).redis.prefix).toBe('a{b}');
  });
});
