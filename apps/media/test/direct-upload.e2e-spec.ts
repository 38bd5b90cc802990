/**
 * Direct uploads (presigned PUT + complete), the pending-upload sweeper and the 302 download mode,
 * against real Postgres and s3rver.
 *
 * s3rver does NOT verify request signatures (nor their expiry): these tests cannot show that a
 * tampered URL, a different Content-Type or a different Content-Length is refused by the store.
 * They show what the URL is signed for, and that `complete` refuses whatever does not match.
 */
import { createHash } from 'node:crypto';
import { waitFor } from '../../../test/support/wait-for';
import sharp from 'sharp';
import type { AuthResult, PresignedUpload } from '@chat/contracts';
import { registerUser, request, startAuth, type Running } from '../../../test/support/apps';
import { freshDatabase } from '../../../test/support/database';
import {
  asciiBytes,
  getFile,
  StoreInspector,
  startMedia,
  TestDb,
  uploadFile,
  type Answer,
  type RunningMedia,
} from '../../../test/support/media';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function put(upload: PresignedUpload['upload'], body: Uint8Array): Promise<number> {
  const res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body });
  await res.arrayBuffer();
  return res.status;
}

describe('media: direct uploads', () => {
  let auth: Running & { jwksUrl: string };
  let media: RunningMedia;
  let db: TestDb;
  let store: StoreInspector;
  let alice: AuthResult;
  let channelId: string;
  let png: Buffer;

  beforeAll(async () => {
    auth = await startAuth();
    media = await startMedia(auth);
    db = await TestDb.connect();
    store = new StoreInspector();
    alice = await registerUser(auth.url);
    channelId = await db.channel(alice.user.id);
    png = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
  });

  afterAll(async () => {
    store.close();
    await db.close();
    await media.close();
    await auth.close();
  });

  const start = (body: Record<string, unknown>, token = alice.accessToken, base = media.url) =>
    request<Answer<PresignedUpload>>(base, 'POST', '/files/uploads', { token, body });

  it('presigns a PUT bound to size and type, and completes it into a file with a thumbnail', async () => {
    const created = await start({
      channelId,
      name: 'banner.png',
      size: png.length,
      contentType: 'image/png',
    });
    expect(created.status).toBe(201);
    const { file, upload } = created.body;
    expect(file).toMatchObject({ channelId, name: 'banner.png', size: png.length, contentType: 'image/png' });
    expect(upload.method).toBe('PUT');
    expect(upload.headers).toEqual({ 'Content-Type': 'image/png' });
    expect(Date.parse(upload.expiresAt)).toBeGreaterThan(Date.now());
    const url = new URL(upload.url);
    expect(url.origin).toBe(process.env.S3_ENDPOINT);
    expect(url.pathname).toBe(`/${process.env.S3_BUCKET}/files/${channelId}/${file.id}`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');

    // Not a file until completed: nobody can read it, and completing too early is refused.
    expect(
      (await request(media.url, 'GET', `/files/${file.id}/meta`, { token: alice.accessToken })).status,
    ).toBe(404);
    const early = await request(media.url, 'POST', `/files/${file.id}/complete`, {
      token: alice.accessToken,
    });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('CONFLICT');

    expect(await put(upload, png)).toBe(200);
    const done = await request(media.url, 'POST', `/files/${file.id}/complete`, { token: alice.accessToken });
    expect(done.status).toBe(200);
    expect(done.body).toEqual(file);
    // Idempotent: a retried complete answers the same file.
    const again = await request(media.url, 'POST', `/files/${file.id}/complete`, {
      token: alice.accessToken,
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(file);

    const got = await getFile(media.url, alice.accessToken, file.id);
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(sha256(png));
    const thumb = await getFile(media.url, alice.accessToken, `${file.id}?thumb=1`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(thumb.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 160]);
  });

  it('refuses with 409 an upload whose size differs from the declared one, deleting it', async () => {
    const created = await start({ channelId, name: 'a.txt', size: 100, contentType: 'text/plain' });
    const { file, upload } = created.body;
    // A real store refuses this PUT (Content-Length is signed); s3rver accepts it, so complete must catch it.
    expect(await put(upload, asciiBytes(0, 150))).toBe(200);
    const res = await request(media.url, 'POST', `/files/${file.id}/complete`, { token: alice.accessToken });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/150 bytes/);
    expect(await store.exists(`files/${channelId}/${file.id}`)).toBe(false);
    expect(await db.file(file.id)).toBeUndefined();
    expect(
      (await request(media.url, 'GET', `/files/${file.id}/meta`, { token: alice.accessToken })).status,
    ).toBe(404);
  });

  it('refuses with 409 an upload whose bytes are not of the declared type, deleting it', async () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    const { file, upload } = (
      await start({ channelId, name: 'x.png', size: html.length, contentType: 'image/png' })
    ).body;
    expect(await put(upload, html)).toBe(200);
    const res = await request(media.url, 'POST', `/files/${file.id}/complete`, { token: alice.accessToken });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/text\/plain/);
    expect(await store.exists(`files/${channelId}/${file.id}`)).toBe(false);
    expect(await db.file(file.id)).toBeUndefined();
  });

  it('checks size, type, membership and input before presigning anything', async () => {
    const tooBig = await start({
      channelId,
      name: 'a',
      size: media.config.media.maxBytes + 1,
      contentType: 'image/png',
    });
    expect(tooBig.status).toBe(413);
    const exe = await start({ channelId, name: 'a.exe', size: 10, contentType: 'application/x-msdownload' });
    expect(exe.status).toBe(415);
    const svg = await start({ channelId, name: 'a.svg', size: 10, contentType: 'image/svg+xml' });
    expect(svg.status).toBe(415);
    const bad = await start({ channelId, name: 'a', contentType: 'image/png' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION');
    const outsider = await registerUser(auth.url);
    const foreign = await start(
      { channelId, name: 'a.png', size: 10, contentType: 'image/png' },
      outsider.accessToken,
    );
    expect(foreign.status).toBe(404);
    // Someone else's pending upload does not exist for them.
    const mine = (await start({ channelId, name: 'a.txt', size: 1, contentType: 'text/plain' })).body;
    const theirs = await request(media.url, 'POST', `/files/${mine.file.id}/complete`, {
      token: outsider.accessToken,
    });
    expect(theirs.status).toBe(404);
  });

  it('sanitizes the declared name (traversal, control and bidi characters) and keeps it out of the key', async () => {
    const created = await start({
      channelId,
      name: '..\\..\\windows\\sys\u0000tem\u202Egpj.exe',
      size: 1,
      contentType: 'text/plain',
    });
    expect(created.status).toBe(201);
    expect(created.body.file.name).toBe('systemgpj.exe');
    expect(new URL(created.body.upload.url).pathname).toBe(
      `/${process.env.S3_BUCKET}/files/${channelId}/${created.body.file.id}`,
    );
  });

  it('removes pending uploads never completed after MEDIA_UPLOAD_TTL_SECONDS, and only those', async () => {
    // A database of its own: a 2-second sweeper on the shared one would also expire the in-flight
    // uploads of the suites running next to this one.
    const fresh = await freshDatabase();
    const url = fresh.url;
    const ownAuth = await startAuth({ DATABASE_URL: url });
    const short = await startMedia(ownAuth, {
      DATABASE_URL: url,
      MEDIA_UPLOAD_TTL_SECONDS: '2',
      MEDIA_SWEEP_INTERVAL_SECONDS: '1',
    });
    const ownDb = await TestDb.connect(url);
    try {
      const user = await registerUser(ownAuth.url);
      const own = await ownDb.channel(user.user.id);
      const begin = async (name: string) =>
        (
          await start(
            { channelId: own, name, size: 5, contentType: 'text/plain' },
            user.accessToken,
            short.url,
          )
        ).body;
      const abandoned = await begin('gone.txt');
      expect(await put(abandoned.upload, Buffer.from('hello'))).toBe(200);
      const kept = await begin('kept.txt');
      expect(await put(kept.upload, Buffer.from('world'))).toBe(200);
      const completed = await request(short.url, 'POST', `/files/${kept.file.id}/complete`, {
        token: user.accessToken,
      });
      expect(completed.status).toBe(200);

      await waitFor(
        async () => (await ownDb.file(abandoned.file.id)) === undefined,
        10_000,
        'the abandoned upload swept',
        200,
      );
      expect(await store.exists(`files/${own}/${abandoned.file.id}`)).toBe(false);
      const late = await request(short.url, 'POST', `/files/${abandoned.file.id}/complete`, {
        token: user.accessToken,
      });
      expect(late.status).toBe(404);

      expect((await ownDb.file(kept.file.id))?.status).toBe('ready');
      const got = await getFile(short.url, user.accessToken, kept.file.id);
      expect(got.bytes.toString()).toBe('world');
    } finally {
      await ownDb.close();
      await short.close();
      await ownAuth.close();
      await fresh.drop();
    }
  });

  describe('with MEDIA_PUBLIC_URL: downloads redirect to the store', () => {
    let redirecting: RunningMedia;
    let publicOrigin: string;
    beforeAll(async () => {
      // Another name for the same s3rver, so it is visible which origin the URLs were signed for.
      publicOrigin = process.env.S3_ENDPOINT!.replace('127.0.0.1', 'localhost');
      redirecting = await startMedia(auth, { MEDIA_PUBLIC_URL: publicOrigin });
    });
    afterAll(() => redirecting.close());

    it('answers 302 to a short-lived presigned GET on the public origin that carries our headers', async () => {
      const up = await uploadFile(
        redirecting.url,
        alice.accessToken,
        channelId,
        png,
        'résumé.png',
        'image/png',
      );
      expect(up.status).toBe(201);
      const res = await getFile(redirecting.url, alice.accessToken, up.body.id);
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const location = new URL(res.headers.get('location')!);
      expect(location.origin).toBe(publicOrigin);
      expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
      expect(location.searchParams.get('response-content-disposition')).toBe(
        `attachment; filename="r_sum_.png"; filename*=UTF-8''r%C3%A9sum%C3%A9.png`,
      );

      // The browser follows it without our token.
      const direct = await fetch(location);
      expect(direct.status).toBe(200);
      expect(direct.headers.get('content-type')).toBe('image/png');
      expect(direct.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(sha256(Buffer.from(await direct.arrayBuffer()))).toBe(sha256(png));

      const inline = await getFile(redirecting.url, alice.accessToken, `${up.body.id}?inline=1`);
      expect(
        new URL(inline.headers.get('location')!).searchParams.get('response-content-disposition'),
      ).toMatch(/^inline;/);
      const thumb = await getFile(redirecting.url, alice.accessToken, `${up.body.id}?thumb=1`);
      expect(thumb.status).toBe(302);
      const thumbBytes = await fetch(thumb.headers.get('location')!);
      expect(thumbBytes.headers.get('content-type')).toBe('image/webp');
      expect((await sharp(Buffer.from(await thumbBytes.arrayBuffer())).metadata()).width).toBe(320);

      // Direct-upload URLs are signed for the public origin too: that is where browsers PUT.
      const created = await start(
        { channelId, name: 'a.txt', size: 1, contentType: 'text/plain' },
        undefined,
        redirecting.url,
      );
      expect(new URL(created.body.upload.url).origin).toBe(publicOrigin);
    });

    it('still answers 404 to someone who may not read the file, with no URL', async () => {
      const up = await uploadFile(
        redirecting.url,
        alice.accessToken,
        channelId,
        Buffer.from('secret'),
        's.txt',
      );
      const outsider = await registerUser(auth.url);
      const res = await getFile(redirecting.url, outsider.accessToken, up.body.id);
      expect(res.status).toBe(404);
      expect(res.headers.get('location')).toBeNull();
    });
  });
});
