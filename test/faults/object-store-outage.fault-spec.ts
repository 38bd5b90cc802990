import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { request } from '../support/apps';
import { getFile, asciiBytes, startStore, streamUpload, uploadFile, type TestStore } from '../support/media';
import { waitFor, writeFigures } from './support/servers';
import {
  privateChannel,
  readyz,
  register,
  startFaultStack,
  type FaultStack,
  type User,
} from './support/stack';

/**
 * The object store (an s3rver of the test's own) goes down — between requests and in the middle
 * of a streamed upload — and comes back on the same address. The media process answers 503 while
 * it is gone, records nothing it could not store, and serves again without a restart.
 */
describe('fault: the object store goes down', () => {
  let store: TestStore;
  let fs: FaultStack;
  let alice: User;
  let channelId: string;
  const bucket = `chat-faults-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    store = await startStore();
    fs = await startFaultStack({ gateways: 1, s3: { endpoint: store.url, bucket } });
    alice = await register(fs.url, 'up');
    channelId = await privateChannel(fs.url, alice, []);
  }, 120_000);

  afterAll(async () => {
    await fs?.stop();
    await store?.stop();
  });

  const files = async () =>
    (
      await fs.db.query<{ id: string; status: string }>(
        `SELECT id, status FROM files WHERE channel_id = $1`,
        [channelId],
      )
    ).rows;

  it('answers 503 and records nothing while the store is down, and serves again once it is back', async () => {
    const { media } = fs.stack;
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a6' } })
      .png()
      .toBuffer();
    const before = await uploadFile(fs.url, alice.token, channelId, png, 'before.png');
    expect(before.status).toBe(201);
    const text = Buffer.from('kept across the outage\n');
    const kept = await uploadFile(fs.url, alice.token, channelId, text, 'kept.txt', 'text/plain');
    expect(kept.status).toBe(201);
    // A direct upload presigned before the outage, completed after it.
    const direct = await request(fs.url, 'POST', '/files/uploads', {
      token: alice.token,
      body: { channelId, name: 'direct.txt', size: text.length, contentType: 'text/plain' },
    });
    expect(direct.status).toBe(201);
    const rowsBefore = await files();

    const downAt = Date.now();
    await store.stop();
    const notReadyAfterMs = await waitFor(
      async () => (await readyz(media.url)) === 503,
      15_000,
      'media not ready',
    );

    const t0 = Date.now();
    const upload = await uploadFile(
      fs.url,
      alice.token,
      channelId,
      Buffer.from('lost?\n'),
      'during.txt',
      'text/plain',
    );
    const uploadMs = Date.now() - t0;
    const t1 = Date.now();
    const download = await getFile(fs.url, alice.token, before.body.id);
    const downloadMs = Date.now() - t1;
    const thumb = await getFile(fs.url, alice.token, `${before.body.id}?thumb=1`);
    const complete = await request(fs.url, 'POST', `/files/${direct.body.file.id}/complete`, {
      token: alice.token,
    });
    const meta = await request(fs.url, 'GET', `/files/${kept.body.id}/meta`, { token: alice.token });
    const rowsDuring = await files();

    await store.start();
    const readyAgainAfterMs = await waitFor(
      async () => (await readyz(media.url)) === 200,
      30_000,
      'media ready',
    );
    const back = await getFile(fs.url, alice.token, kept.body.id);
    const thumbBack = await getFile(fs.url, alice.token, `${before.body.id}?thumb=1`);
    const put = await fetch(direct.body.upload.url, {
      method: 'PUT',
      headers: direct.body.upload.headers,
      body: text,
    });
    const completed = await request(fs.url, 'POST', `/files/${direct.body.file.id}/complete`, {
      token: alice.token,
    });
    const after = await uploadFile(
      fs.url,
      alice.token,
      channelId,
      Buffer.from('after\n'),
      'after.txt',
      'text/plain',
    );

    writeFigures('object-store-outage', {
      notReadyAfterMs,
      readyAgainAfterMs,
      outageMs: Date.now() - downAt,
      duringOutage: {
        upload: { status: upload.status, code: upload.body.code, ms: uploadMs },
        download: { status: download.status, ms: downloadMs },
        thumbnail: thumb.status,
        completeDirect: { status: complete.status, code: complete.body?.code },
        meta: meta.status,
        filesRowsAdded: rowsDuring.length - rowsBefore.length,
      },
      afterOutage: {
        download: back.status,
        thumbnail: thumbBack.status,
        directPut: put.status,
        complete: completed.status,
        upload: after.status,
      },
    });

    expect(media.child.exitCode).toBeNull();
    expect({ status: upload.status, code: upload.body.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
    expect(download.status).toBe(503);
    expect(thumb.status).toBe(503);
    expect({ status: complete.status, code: complete.body?.code }).toEqual({
      status: 503,
      code: 'UNAVAILABLE',
    });
    // Metadata lives in Postgres: still served.
    expect(meta.status).toBe(200);
    // Nothing half-recorded: no row for the refused upload, and the direct upload still pending.
    expect(rowsDuring).toEqual(rowsBefore);
    expect(rowsDuring.find((r) => r.id === direct.body.file.id)?.status).toBe('pending');

    expect(back.status).toBe(200);
    expect(back.bytes.equals(text)).toBe(true);
    expect(thumbBack.status).toBe(200);
    expect(put.status).toBe(200);
    expect(completed.status).toBe(200);
    expect(after.status).toBe(201);
  });

  it('refuses an upload whose store dies halfway through, leaving no row behind', async () => {
    const size = 12 * 1024 * 1024;
    const rowsBefore = await files();
    let stopping: Promise<void> = Promise.resolve();
    let stopped = false;
    const started = Date.now();
    const result = await streamUpload(fs.url, alice.token, channelId, size, (offset, length) => {
      // Halfway through the body, the store goes away.
      if (offset >= size / 2 && !stopped) {
        stopped = true;
        stopping = store.stop();
      }
      return asciiBytes(offset, length);
    });
    const ms = Date.now() - started;
    await stopping;
    const rowsDuring = await files();
    await store.start();
    await waitFor(async () => (await readyz(fs.stack.media.url)) === 200, 30_000, 'media ready');
    const retry = await streamUpload(fs.url, alice.token, channelId, size, asciiBytes);
    const stored = await getFile(fs.url, alice.token, retry.response.body.id, {
      headers: { range: 'bytes=0-15' },
    });

    writeFigures('object-store-midupload', {
      size,
      answer: { status: result.response.status, code: result.response.body.code, ms },
      producedWhenAnswered: result.producedWhenAnswered,
      retry: retry.response.status,
    });

    expect(fs.stack.media.child.exitCode).toBeNull();
    expect(rowsDuring).toEqual(rowsBefore);
    expect(retry.response.status).toBe(201);
    expect(stored.status).toBe(206);
    expect(stored.bytes.equals(Buffer.from(asciiBytes(0, 16)))).toBe(true);
    // "The store is down, retry shortly", like every other store failure; not an internal error.
    expect({ status: result.response.status, code: result.response.body.code }).toEqual({
      status: 503,
      code: 'UNAVAILABLE',
    });
  });
});
