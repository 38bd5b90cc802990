import { generateRequestDetails, generateVAPIDKeys } from 'web-push';
import { startPushReceiver, type PushReceiver } from './push-receiver';

/** The test push service against web-push's own encryption and signing, before any test relies on it. */
describe('push receiver (test support)', () => {
  let rx: PushReceiver;
  const vapid = { subject: 'mailto:ops@example.com', ...generateVAPIDKeys() };

  beforeAll(async () => {
    rx = await startPushReceiver();
  });
  afterAll(() => rx.close());

  const post = (endpoint: string, details: ReturnType<typeof generateRequestDetails>) =>
    fetch(endpoint, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)])),
      body: details.body ?? undefined,
    });

  it('decrypts web-push’s aes128gcm body and verifies its VAPID JWT', async () => {
    const sub = rx.subscribe();
    const payload = { hello: 'wörld ✓', n: 42 };
    const details = generateRequestDetails(sub.json, JSON.stringify(payload), {
      vapidDetails: vapid,
      TTL: 60,
      contentEncoding: 'aes128gcm',
    });
    const res = await post(sub.json.endpoint, details);
    expect(res.status).toBe(201);
    const [got] = rx.delivered(sub);
    expect(got.error).toBeUndefined();
    expect(got.payload).toEqual(payload);
    expect(got.vapid).toMatchObject({ aud: rx.origin, sub: vapid.subject, key: vapid.publicKey });
  });

  it('refuses a body for other keys, a forged JWT and another audience', async () => {
    const sub = rx.subscribe();
    const other = rx.subscribe();
    // Encrypted for another subscription's keys.
    const wrongKeys = generateRequestDetails({ ...other.json, endpoint: sub.json.endpoint }, 'x', {
      vapidDetails: vapid,
    });
    expect((await post(sub.json.endpoint, wrongKeys)).status).toBe(400);
    // Signed by one key, claiming another.
    const forged = generateRequestDetails(sub.json, 'x', { vapidDetails: vapid });
    forged.headers.Authorization = String(forged.headers.Authorization).replace(
      /k=.*$/,
      `k=${generateVAPIDKeys().publicKey}`,
    );
    expect((await post(sub.json.endpoint, forged)).status).toBe(400);
    // Signed for another push service.
    const elsewhere = generateRequestDetails({ ...sub.json, endpoint: 'https://push.example.net/x' }, 'x', {
      vapidDetails: vapid,
    });
    expect((await post(sub.json.endpoint, elsewhere)).status).toBe(400);
    expect(rx.requests(sub).map((r) => r.error)).toEqual([
      expect.stringMatching(/unable to authenticate|auth/i),
      expect.stringMatching(/signature/),
      expect.stringMatching(/aud/),
    ]);
    expect(rx.delivered(sub)).toEqual([]);
  });

  it('answers what the test asks: statuses in order, then the fallback', async () => {
    const sub = rx.subscribe(202);
    sub.answers.push(500, 410);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const details = generateRequestDetails(sub.json, `{"i":${i}}`, { vapidDetails: vapid });
      statuses.push((await post(sub.json.endpoint, details)).status);
    }
    expect(statuses).toEqual([500, 410, 202]);
    expect(rx.delivered(sub).map((r) => r.payload)).toEqual([{ i: 2 }]);
  });
});
