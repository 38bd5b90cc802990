/**
 * The budgets of the parsers of untrusted bytes (type detection, thumbnails), forced: a detector
 * that never returns (as file-type 16's ASF parser did on CVE-2026-31808) and an image decoder past
 * its deadline. Each costs one request (415, or no thumbnail); the event loop stays free meanwhile,
 * health answers, and the next upload works on a fresh worker.
 */
import sharp from 'sharp';
import type { AuthResult } from '@chat/contracts';
import { createMediaApp } from '../src/bootstrap';
import { loadMediaConfig, type MediaConfig } from '../src/config';
import { asf, zeroPng } from '../../../test/security/support/hostile-files';
import { listen, registerUser, request, startAuth, testEnv, type Running } from '../../../test/support/apps';
import { getFile, TestDb, uploadFile } from '../../../test/support/media';

/** The bytes that make the test build of the detector loop forever (config.media.parsers.testHangMarker). */
const HANG = 'HANG-THE-PARSER';
/** Long enough that a health check sent 100 ms into a hung detection lands while it still hangs. */
const DEADLINE_MS = 2000;

async function startMediaWith(
  auth: { jwksUrl: string },
  env: Record<string, string>,
  tweak: (config: MediaConfig) => void = () => undefined,
): Promise<Running> {
  const config = loadMediaConfig(testEnv({ AUTH_JWKS_URL: auth.jwksUrl, S3_CREATE_BUCKET: 'true', ...env }));
  tweak(config);
  return listen(await createMediaApp(config));
}

/** The value of one series of a Prometheus text exposition, 0 when absent. */
async function metric(media: Running, series: RegExp): Promise<number> {
  const text = await (await fetch(`${media.url}/metrics`)).text();
  const line = text.split('\n').find((l) => series.test(l));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('media: parser budgets', () => {
  let auth: Running & { jwksUrl: string };
  let db: TestDb;
  let alice: AuthResult;
  let channelId: string;

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    db = await TestDb.connect();
    alice = await registerUser(auth.url);
    channelId = await db.channel(alice.user.id);
  });

  afterAll(async () => {
    await db?.close();
    await auth?.close();
  });

  describe('a type detector that never returns', () => {
    let media: Running;

    beforeAll(async () => {
      media = await startMediaWith(
        auth,
        { REDIS_URL: '', MEDIA_SNIFF_TIMEOUT_MS: String(DEADLINE_MS), MEDIA_PARSER_WORKERS: '2' },
        (config) => (config.media.parsers.testHangMarker = HANG),
      );
    });

    afterAll(() => media?.close());

    const hanging = () => Buffer.concat([Buffer.from(HANG, 'latin1'), asf(0n)]);

    it('costs one request: 415 at the deadline, health answers meanwhile, the next upload works', async () => {
      const before = (await db.filesIn(channelId)).length;
      const started = Date.now();
      let answered = false;
      const pending = uploadFile(media.url, alice.accessToken, channelId, hanging(), 'evil.wmv').finally(
        () => (answered = true),
      );
      // While the worker spins at 100 % CPU, the service's own thread answers: before the upload does.
      await new Promise((r) => setTimeout(r, 100));
      const healthStarted = Date.now();
      expect((await request(media.url, 'GET', '/healthz')).status).toBe(200);
      const healthMs = Date.now() - healthStarted;
      expect(answered).toBe(false);
      const res = await pending;
      const ms = Date.now() - started;
      console.log(
        `[media] hung detector: 415 after ${ms} ms (deadline ${DEADLINE_MS} ms); health meanwhile in ${healthMs} ms`,
      );
      expect(res.status).toBe(415);
      expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(res.body.requestId).toEqual(expect.any(String));
      expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 10);
      // The deadline, not a hang: well under the client's patience even on a loaded machine.
      expect(ms).toBeLessThan(DEADLINE_MS + 5000);
      expect(await metric(media, /^media_parser_jobs_total\{.*parser="sniff".*outcome="timeout"/)).toBe(1);
      // Nothing recorded; the next upload gets a fresh worker.
      expect((await db.filesIn(channelId)).length).toBe(before);
      const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0f0' } })
        .png()
        .toBuffer();
      const next = await uploadFile(media.url, alice.accessToken, channelId, png, 'next.png');
      expect(next.status).toBe(201);
      expect(next.body.contentType).toBe('image/png');
      expect((await db.file(next.body.id))!.thumb_key).not.toBeNull();
    });

    it('also through a presigned upload: complete answers 415 and voids it', async () => {
      const data = hanging();
      const created = await request(media.url, 'POST', '/files/uploads', {
        token: alice.accessToken,
        body: { channelId, name: 'evil.mp4', size: data.length, contentType: 'video/mp4' },
      });
      expect(created.status).toBe(201);
      const put = await fetch(created.body.upload.url, {
        method: 'PUT',
        headers: created.body.upload.headers,
        body: data,
      });
      expect(put.ok).toBe(true);
      const started = Date.now();
      const done = await request(media.url, 'POST', `/files/${created.body.file.id}/complete`, {
        token: alice.accessToken,
      });
      expect(done.status).toBe(415);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await db.file(created.body.file.id)).toBeUndefined();
      const next = await uploadFile(media.url, alice.accessToken, channelId, Buffer.from('ok\n'), 'ok.txt');
      expect(next.status).toBe(201);
    });

    it('keeps concurrent uploads working while every worker is hung', async () => {
      // Two hung jobs take both workers; ten ordinary uploads queue behind them and are served by
      // the replacements once the deadline has passed.
      const started = Date.now();
      const results = await Promise.all([
        uploadFile(media.url, alice.accessToken, channelId, hanging(), 'evil-1.wmv'),
        uploadFile(media.url, alice.accessToken, channelId, hanging(), 'evil-2.wmv'),
        ...Array.from({ length: 10 }, (_, i) =>
          uploadFile(
            media.url,
            alice.accessToken,
            channelId,
            Buffer.from(`%PDF-1.7\n${i}\n`),
            `doc-${i}.pdf`,
          ),
        ),
      ]);
      const ms = Date.now() - started;
      console.log(`[media] 2 hung detections + 10 uploads at once: ${ms} ms`);
      expect(results.map((r) => r.status)).toEqual([415, 415, ...Array(10).fill(201)]);
      expect(results.slice(2).every((r) => r.body.contentType === 'application/pdf')).toBe(true);
      expect(ms).toBeLessThan(5000);
      expect((await request(media.url, 'GET', '/healthz')).status).toBe(200);
    });
  });

  describe('an image decoder past its deadline', () => {
    let media: Running;

    beforeAll(async () => {
      // 5 ms: no 49-megapixel decode fits, so the worker is terminated mid-decode (in libvips).
      media = await startMediaWith(auth, { REDIS_URL: '', MEDIA_THUMB_TIMEOUT_MS: '5' });
    });

    afterAll(() => media?.close());

    it('costs only the thumbnail: the upload succeeds, the service answers, the next upload works', async () => {
      const bomb = zeroPng(7000, 7000);
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await uploadFile(media.url, alice.accessToken, channelId, bomb, `big-${i}.png`);
        const ms = Date.now() - started;
        console.log(`[media] thumbnail past its 5 ms deadline: upload 201 in ${ms} ms, no thumbnail`);
        expect(res.status).toBe(201);
        expect(ms).toBeLessThan(5000);
        expect((await db.file(res.body.id))!.thumb_key).toBeNull();
        expect((await getFile(media.url, alice.accessToken, `${res.body.id}?thumb=1`)).status).toBe(404);
        expect((await getFile(media.url, alice.accessToken, res.body.id)).bytes.equals(bomb)).toBe(true);
        expect((await request(media.url, 'GET', '/healthz')).status).toBe(200);
      }
      expect(await metric(media, /^media_parser_jobs_total\{.*parser="thumbnail".*outcome="timeout"/)).toBe(
        3,
      );
      const next = await uploadFile(media.url, alice.accessToken, channelId, Buffer.from('ok\n'), 'ok.txt');
      expect(next.status).toBe(201);
    });
  });
});
