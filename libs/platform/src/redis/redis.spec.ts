import { loadEnv, commonEnv } from '../config/env';
import { isClusterUrl, parseClusterUrl } from './redis';

describe('redis+cluster:// URLs (REDIS_URL for a Redis Cluster)', () => {
  it('reads the seed nodes, credentials and TLS', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3.internal:7002')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3.internal', port: 7002 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://app:p%40ss:w@[fd00::1]:6380,[fd00::2]:6380/')).toEqual({
      nodes: [
        { host: 'fd00::1', port: 6380 },
        { host: 'fd00::2', port: 6380 },
      ],
      username: 'app',
      password: 'p@ss:w',
      tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:secret@h:1')).toMatchObject({
      username: undefined,
      password: 'secret',
    });
  });

  it('refuses a node without a port, a bad port, an empty list or another scheme', () => {
    for (const bad of [
      'redis+cluster://h1',
      'redis+cluster://h1:6379,h2',
      'redis+cluster://h1:0',
      'redis+cluster://h1:70000',
      'redis+cluster://',
      'redis+cluster://h1:6379,,h2:6379',
      'redis+cluster://h1:6379/0?x=1',
    ])
      expect(() => parseClusterUrl(bad)).toThrow(/host:port/);
    expect(() => parseClusterUrl('redis://h1:6379')).toThrow(/redis\+cluster/);
  });

  it('tells a cluster URL from a standalone one, and REDIS_URL takes both', () => {
    expect(isClusterUrl('redis+cluster://h:1')).toBe(true);
    expect(isClusterUrl('rediss+cluster://h:1')).toBe(true);
    expect(isClusterUrl('redis://h:1')).toBe(false);
    expect(loadEnv(commonEnv, { REDIS_URL: 'redis+cluster://h1:1,h2:2' }).REDIS_URL).toBe(
      'redis+cluster://h1:1,h2:2',
    );
    expect(() => loadEnv(commonEnv, { REDIS_URL: 'cluster://h1:1' })).toThrow(/REDIS_URL/);
  });
});
