import { commonEnv, loadEnv } from '../config/env';
import { isSentinelUrl, parseSentinelUrl } from './sentinel-url';

describe('redis+sentinel:// URLs (REDIS_URL for a master and replicas behind Sentinel)', () => {
  it('reads the sentinels, the master name, both sets of credentials, the db and TLS', () => {
    expect(parseSentinelUrl('redis+sentinel://10.0.0.1:26379,sentinel-2.internal:26380/mymaster')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-2.internal', port: 26380 },
      ],
      masterName: 'mymaster',
      username: undefined,
      password: undefined,
      sentinelUsername: undefined,
      sentinelPassword: undefined,
      db: 0,
      tls: false,
    });
    expect(
      parseSentinelUrl(
        'rediss+sentinel://app:p%40ss:w@[fd00::1]:26379,[fd00::2]/chat-redis.v1?db=3&sentinelUsername=sen&sentinelPassword=s%26cret',
      ),
    ).toEqual({
      sentinels: [
        { host: 'fd00::1', port: 26379 },
        // No port: Sentinel's default.
        { host: 'fd00::2', port: 26379 },
      ],
      masterName: 'chat-redis.v1',
      username: 'app',
      password: 'p@ss:w',
      sentinelUsername: 'sen',
      sentinelPassword: 's&cret',
      db: 3,
      tls: true,
    });
    expect(parseSentinelUrl('redis+sentinel://:secret@h/m')).toMatchObject({
      sentinels: [{ host: 'h', port: 26379 }],
      username: undefined,
      password: 'secret',
    });
  });

  it('refuses a missing master name, a bad sentinel, an unknown option or a bad db', () => {
    const cases: [string, RegExp][] = [
      ['redis+sentinel://h1:26379', /master/],
      ['redis+sentinel://h1:26379/', /master name/],
      ['redis+sentinel://h1:26379/a/b', /master name/],
      ['redis+sentinel://h1:26379/my master', /master name/],
      ['redis+sentinel:///m', /host\[:port\]/],
      ['redis+sentinel://h1:26379,,h2:26379/m', /host\[:port\]/],
      ['redis+sentinel://h1:0/m', /host\[:port\]/],
      ['redis+sentinel://h1:70000/m', /host\[:port\]/],
      ['redis+sentinel://h1:abc/m', /host\[:port\]/],
      ['redis+sentinel://h1/m?password=x', /unknown option "password"/],
      ['redis+sentinel://h1/m?db=-1', /db/],
      ['redis+sentinel://h1/m?db=x', /db/],
      ['redis+sentinel://%E0%A4%A@h1/m', /percent-encoded/],
    ];
    for (const [bad, why] of cases) expect(() => parseSentinelUrl(bad)).toThrow(why);
    expect(() => parseSentinelUrl('redis://h1:6379')).toThrow(/redis\+sentinel/);
  });

  it('tells a sentinel URL from the other forms', () => {
    expect(isSentinelUrl('redis+sentinel://h/m')).toBe(true);
    expect(isSentinelUrl('rediss+sentinel://h/m')).toBe(true);
    expect(isSentinelUrl('redis://h:1')).toBe(false);
    expect(isSentinelUrl('redis+cluster://h:1')).toBe(false);
  });

  it('is checked at boot: REDIS_URL takes a good one and a bad one stops the service, named', () => {
    const good = 'redis+sentinel://s1:26379,s2:26379,s3:26379/chat?sentinelPassword=x';
    expect(loadEnv(commonEnv, { REDIS_URL: good }).REDIS_URL).toBe(good);
    for (const bad of ['redis+sentinel://s1:26379', 'redis+sentinel://s1:26379/m?tls=1', 'sentinel://s1/m'])
      expect(() => loadEnv(commonEnv, { REDIS_URL: bad })).toThrow(/REDIS_URL: .*(sentinel|redis:\/\/)/);
  });
});
