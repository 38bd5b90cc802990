/**
 * The media service when its store goes away and comes back, and across its own restarts, against
 * real Postgres and s3rver instances (one of them owned by this suite so it can be stopped).
 *
 * s3rver does NOT verify request signatures, so nothing here shows signature tampering refused.
 */
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../test/support/wait-for';
import sharp from 'sharp';
import type { AuthResult, PresignedUpload } from '@chat/contracts';
import { registerUser, request, startAuth, type Running } from '../../../test/support/apps';
import {
  getFile,
  StoreInspector,
  startMedia,
  startStore,
  TestDb,
  textBytes,
  TEXT_UNIT_BYTES,
  uploadFile,
  type RunningMedia,
  type TestStore,
} from '../../../test/support/media';

describe('media: resilience', () => {
  let auth: Running & { jwksUrl: string };
  let db: TestDb;
  let alice: AuthResult;
  let channelId: string;

  beforeAll(async () => {
    auth = await startAuth();
    db = await TestDb.connect();
    alice = await registerUser(auth.url);
    channelId = await db.channel(alice.user.id);
  });

  afterAll(async () => {
    await db.close();
    await auth.close();
  });

  describe('when the store is down', () => {
    let store: TestStore;
    let media: RunningMedia;
    let inspector: StoreInspector;
    const bucket = `chat-own-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      store = await startStore();
      await store.stop();
      // Boots although the store is down (and its bucket does not exist yet).
      media = await startMedia(auth, { S3_ENDPOINT: store.url, S3_BUCKET: bucket });
      inspector = new StoreInspector(store.url, bucket);
    });

    afterAll(async () => {
      inspector.close();
      await media.close();
      await store.stop();
    });

    const ready = async () => (await request(media.url, 'GET', '/readyz')).status === 200;

    it('boots, stays live, reports not ready, and creates the bucket once the store is back', async () => {
      expect((await request(media.url, 'GET', '/healthz')).status).toBe(200);
      const readyz = await request(media.url, 'GET', '/readyz');
      // The database is up: the store is what keeps it from being ready.
      expect(readyz.status).toBe(503);

      const refused = await uploadFile(media.url, alice.accessToken, channelId, Buffer.from('hi'), 'a.txt');
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('UNAVAILABLE');
      expect(await db.filesIn(channelId)).toHaveLength(0);

      await store.start();
      await waitFor(ready, 15_000, 'media ready', 200);
      const ok = await uploadFile(media.url, alice.accessToken, channelId, Buffer.from('hi'), 'a.txt');
      expect(ok.status).toBe(201);
    });

    it('answers 503 and records nothing while the store is down, and serves files again once it is back', async () => {
      const data = textBytes(0, TEXT_UNIT_BYTES * 100);
      const kept = await uploadFile(media.url, alice.accessToken, channelId, data, 'kept.txt');
      expect(kept.status).toBe(201);
      const rowsBefore = await db.filesIn(channelId);

      await store.stop();
      const upload = await uploadFile(media.url, alice.accessToken, channelId, data, 'lost.txt');
      expect(upload.status).toBe(503);
      expect(upload.body).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE' });
      expect(upload.headers.get('retry-after')).toBe('2');
      expect(await db.filesIn(channelId)).toEqual(rowsBefore);
      const download = await request(media.url, 'GET', `/files/${kept.body.id}`, {
        token: alice.accessToken,
      });
      expect(download.status).toBe(503);
      expect(await ready()).toBe(false);
      // Metadata lives in Postgres: still there.
      expect(
        (await request(media.url, 'GET', `/files/${kept.body.id}/meta`, { token: alice.accessToken })).status,
      ).toBe(200);

      await store.start();
      const again = await getFile(media.url, alice.accessToken, kept.body.id);
      expect(again.status).toBe(200);
      expect(again.bytes.equals(Buffer.from(data))).toBe(true);
      await waitFor(ready, 5000, 'media ready', 200);
      // Nothing of the failed upload reached the store.
      const stored = await inspector.keys(`files/${channelId}/`);
      expect(stored.sort()).toEqual(rowsBefore.map((r) => r.object_key).sort());
    });
  });

  it('loses nothing across a restart: files, thumbnails and a direct upload still pending', async () => {
    const png = await sharp({ create: { width: 640, height: 640, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    const text = textBytes(0, TEXT_UNIT_BYTES * 10);
    const first = await startMedia(auth);
    const a = (await uploadFile(first.url, alice.accessToken, channelId, text, 'a.txt')).body;
    const b = (await uploadFile(first.url, alice.accessToken, channelId, png, 'b.png')).body;
    const pending = await request<PresignedUpload>(first.url, 'POST', '/files/uploads', {
      token: alice.accessToken,
      body: { channelId, name: 'later.txt', size: 5, contentType: 'text/plain' },
    });
    expect(pending.status).toBe(201);
    await first.close();

    const second = await startMedia(auth);
    try {
      expect((await getFile(second.url, alice.accessToken, a.id)).bytes.equals(Buffer.from(text))).toBe(true);
      expect((await getFile(second.url, alice.accessToken, b.id)).bytes.equals(png)).toBe(true);
      const thumb = await getFile(second.url, alice.accessToken, `${b.id}?thumb=1`);
      expect(thumb.status).toBe(200);
      expect((await sharp(thumb.bytes).metadata()).width).toBe(320);
      const meta = await request(second.url, 'GET', `/files/${a.id}/meta`, { token: alice.accessToken });
      expect(meta.body).toEqual(a);

      const { upload, file } = pending.body;
      const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'later' });
      expect(put.status).toBe(200);
      const done = await request(second.url, 'POST', `/files/${file.id}/complete`, {
        token: alice.accessToken,
      });
      expect(done.status).toBe(200);
      expect((await getFile(second.url, alice.accessToken, file.id)).bytes.toString()).toBe('later');
    } finally {
      await second.close();
    }
  });
});
