import type { LookupAddress } from 'node:dns';
import { AppError } from '@chat/platform';
import { addressRefusal, assertDeliverableUrl, type ResolveAll } from './deliverable-url';

/** Names that resolve without a network, as a test's DNS would answer them. */
const zone: Record<string, LookupAddress[]> = {
  'hooks.example.com': [{ address: '93.184.215.14', family: 4 }],
  'dual.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ],
  // One bad address among good ones is enough to refuse: the connection may use any of them.
  'mixed.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '10.0.0.7', family: 4 },
  ],
  'internal.example.com': [{ address: '192.168.1.20', family: 4 }],
  'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
  'v6local.example.com': [{ address: '::1', family: 6 }],
  'mapped.example.com': [{ address: '::ffff:127.0.0.1', family: 6 }],
  localhost: [{ address: '127.0.0.1', family: 4 }],
};
const resolve: ResolveAll = (host) => {
  const found = zone[host];
  if (!found)
    return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
  return Promise.resolve(found);
};

async function refusal(url: string, allowed: string[] = []): Promise<AppError> {
  try {
    await assertDeliverableUrl(url, allowed, resolve);
  } catch (err) {
    return err as AppError;
  }
  throw new Error(`${url} was accepted`);
}

describe('assertDeliverableUrl', () => {
  it.each([
    ['http://127.0.0.1/hook'],
    ['http://127.1/hook'],
    ['http://0x7f.1/hook'],
    ['http://0x7f000001/hook'],
    ['http://2130706433/hook'],
    ['http://017700000001/hook'],
    ['http://0177.0.0.1/hook'],
    ['http://%31%32%37.0.0.1/hook'],
    ['http://127.0.0.1.:8080/hook'],
    ['http://[::1]/hook'],
    ['http://[0:0:0:0:0:0:0:1]/hook'],
    ['http://[::ffff:127.0.0.1]/hook'],
    ['http://[::ffff:7f00:1]/hook'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/hook'],
    ['http://[::127.0.0.1]/hook'],
    ['http://[64:ff9b::127.0.0.1]/hook'],
    ['http://[64:ff9b::a00:1]/hook'],
    ['http://0.0.0.0/hook'],
    ['http://0/hook'],
    ['http://[::]/hook'],
    ['http://10.1.2.3/hook'],
    ['http://172.16.0.1/hook'],
    ['http://172.31.255.254/hook'],
    ['http://192.168.0.1/hook'],
    ['http://100.64.0.1/hook'],
    ['http://169.254.169.254/latest/meta-data'],
    ['http://[fe80::1]/hook'],
    ['http://[fc00::1]/hook'],
    ['http://[fd12:3456::1]/hook'],
    ['http://224.0.0.1/hook'],
    ['http://255.255.255.255/hook'],
    ['http://240.0.0.1/hook'],
    ['http://198.18.0.1/hook'],
    ['http://[ff02::1]/hook'],
    ['http://[2002:7f00:1::]/hook'],
    ['http://localhost/hook'],
    ['http://LOCALHOST./hook'],
    ['http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/hook'],
    ['https://internal.example.com/hook'],
    ['https://metadata.example.com/hook'],
    ['https://v6local.example.com/hook'],
    ['https://mapped.example.com/hook'],
    ['https://mixed.example.com/hook'],
  ])('refuses %s (internal address, any spelling)', async (url) => {
    const err = await refusal(url);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('VALIDATION');
    expect(err.status).toBe(400);
  });

  it.each([
    ['ftp://hooks.example.com/x', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['gopher://hooks.example.com/', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['http://user:pass@hooks.example.com/', /credentials/],
    ['http://user@hooks.example.com/', /credentials/],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, /2048/],
    ['not a url', /absolute/],
    ['/relative/path', /absolute/],
    ['https://nowhere.example.com/', /cannot be resolved/],
  ])('refuses %s', async (url, why) => {
    const err = await refusal(url);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(why);
  });

  it.each([
    ['https://hooks.example.com/hook'],
    ['http://dual.example.com:8080/hook?x=1'],
    ['http://93.184.215.14/hook'],
    ['https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook'],
    ['http://8.8.8.8/'],
    ['http://172.32.0.1/'],
    ['http://100.128.0.1/'],
  ])('accepts the public %s', async (url) => {
    await expect(assertDeliverableUrl(url, [], resolve)).resolves.toBeInstanceOf(URL);
  });

  it('accepts an internal host an operator allowlisted, in any spelling of it', async () => {
    await expect(assertDeliverableUrl('http://127.1:9000/', ['127.0.0.1'], resolve)).resolves.toBeInstanceOf(
      URL,
    );
    await expect(assertDeliverableUrl('http://[::1]:9000/', ['::1'], resolve)).resolves.toBeInstanceOf(URL);
    await expect(
      assertDeliverableUrl('http://internal.example.com/', ['internal.example.com'], resolve),
    ).resolves.toBeInstanceOf(URL);
    // The allowlist names hosts, not whatever they resolve to.
    expect((await refusal('http://localhost/', ['127.0.0.1'])).code).toBe('VALIDATION');
    // Nor does allowing one internal host allow its neighbours.
    expect((await refusal('http://127.0.0.2/', ['127.0.0.1'])).code).toBe('VALIDATION');
  });

  it('uses the system resolver by default (localhost resolves to loopback here too)', async () => {
    await expect(assertDeliverableUrl('http://localhost:1/', [])).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
});

describe('addressRefusal', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['100.64.1.1', 'carrierGradeNat'],
    ['169.254.1.1', 'linkLocal'],
    ['0.1.2.3', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:0:a00:1', 'private'],
    ['64:ff9b::169.254.169.254', 'linkLocal'],
    ['::7f00:1', 'loopback'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'discard'],
  ])('%s is %s', (address, range) => {
    expect(addressRefusal(address)).toBe(range);
  });

  it.each(['93.184.215.14', '::ffff:93.184.215.14', '64:ff9b::93.184.215.14', '2606:4700::1111'])(
    '%s is public',
    (address) => {
      expect(addressRefusal(address)).toBeNull();
    },
  );

  it('is not fooled by a non-address', () => {
    expect(addressRefusal('0x7f.1')).not.toBeNull();
    expect(addressRefusal('example.com')).not.toBeNull();
  });
});
