import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateVAPIDKeys } from 'web-push';
import { endpointProblem, isInternalAddress } from './push-endpoint';
import { PushSender, pushPayload, pushTopic, pushUrgency, retryAfterMs } from './push-sender';

describe('push endpoints', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
  ])('%s is internal', (address) => expect(isInternalAddress(address)).toBe(true));

  it.each(['8.8.8.8', '142.250.74.10', '2a00:1450:4001:82a::200a', 'fcm.googleapis.com'])(
    '%s is not an internal address',
    (address) => expect(isInternalAddress(address)).toBe(false),
  );

  it.each([
    ['https://fcm.googleapis.com/fcm/send/abc', null],
    ['https://updates.push.services.mozilla.com/wpush/v2/x', null],
    ['http://fcm.googleapis.com/fcm/send/abc', /https/],
    ['javascript:alert(1)', /https/],
    ['file:///etc/passwd', /https/],
    ['not a url', /absolute URL/],
    ['https://user:pw@push.example.com/x', /credentials/],
    ['https://127.0.0.1/x', /public host/],
    ['https://0x7f.1/x', /public host/],
    ['https://2130706433/x', /public host/],
    ['https://[::ffff:127.0.0.1]/x', /public host/],
    ['https://localhost:8443/x', /public host/],
    ['https://metadata.localhost/x', /public host/],
    ['https://169.254.169.254/latest/meta-data', /public host/],
  ])('%s', (endpoint, expected) => {
    const problem = endpointProblem(endpoint, []);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('lets an operator allow an internal host, over http too, but never another scheme', () => {
    expect(endpointProblem('http://127.0.0.1:9000/push/x', ['127.0.0.1'])).toBeNull();
    expect(endpointProblem('https://127.0.0.1:9000/push/x', ['127.0.0.1'])).toBeNull();
    expect(endpointProblem('ftp://127.0.0.1/x', ['127.0.0.1'])).toMatch(/https/);
    expect(endpointProblem('http://10.0.0.1/x', ['127.0.0.1'])).toMatch(/https/);
  });

  it('refuses, when connecting, a name that resolves to an internal address', async () => {
    const server = createServer((_req, res) => res.writeHead(201).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const sender = new PushSender({ subject: 'mailto:a@example.com', ...generateVAPIDKeys() }, [], 2);
    const notification = {
      kind: 'dm',
      channelId: 'c',
      messageId: 'm',
      seq: 1,
      title: 't',
      body: 'b',
    } as const;
    const keys = {
      p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
      auth: 'tBHItJI5svbpez7KI4CCXg',
    };
    const request = sender.prepare(
      { endpoint: `http://localhost:${port}/x`, ...keys },
      pushPayload(notification, 'https://chat'),
    );
    await expect(sender.post(request, new AbortController().signal)).rejects.toMatchObject({
      code: 'EPUSHINTERNAL',
    });
    sender.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('push payload and headers', () => {
  it('links to the message in the web client and names one notification per channel', () => {
    const p = pushPayload(
      { kind: 'mention', channelId: 'c1', messageId: 'm1', seq: 7, title: 'alice in #x', body: 'hi' },
      'https://chat.example.com',
    );
    expect(p).toEqual({
      kind: 'mention',
      channelId: 'c1',
      messageId: 'm1',
      seq: 7,
      title: 'alice in #x',
      body: 'hi',
      url: 'https://chat.example.com/#/c/c1/m/7',
      tag: 'channel:c1',
    });
  });

  it('derives a short URL-safe topic per channel', () => {
    const t = pushTopic('3f1c7a52-9a4e-4a7e-8f55-5b2f7f0e8e11');
    expect(t).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(pushTopic('3f1c7a52-9a4e-4a7e-8f55-5b2f7f0e8e11')).toBe(t);
    expect(pushTopic('another')).not.toBe(t);
  });

  it('is urgent for DMs and mentions only', () => {
    expect(pushUrgency('dm')).toBe('high');
    expect(pushUrgency('mention')).toBe('high');
    expect(pushUrgency('reply')).toBe('normal');
    expect(pushUrgency('message')).toBe('normal');
  });

  it('reads Retry-After in seconds or as a date', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs(new Date(Date.now() + 60_000).toUTCString(), Date.now())).toBeGreaterThan(58_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
