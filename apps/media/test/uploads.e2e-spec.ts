/**
 * Streamed uploads (POST /files) and downloads through the service, against real Postgres and a
 * real S3-protocol server (s3rver).
 *
 * s3rver does NOT verify request signatures: these tests cannot show that a tampered presigned URL
 * or signature is refused. They show what the service itself decides and stores.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import type { AuthResult } from '@chat/contracts';
import { registerUser, request, startAuth, type Running } from '../../../test/support/apps';
import {
  asciiBytes,
  getFile,
  StoreInspector,
  startMedia,
  streamUpload,
  TestDb,
  TEXT_UNIT_BYTES,
  textBytes,
  uploadFile,
  type RunningMedia,
} from '../../../test/support/media';

const LIMIT = 64 * 1024;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('media: streamed uploads and downloads', () => {
  let auth: Running & { jwksUrl: string };
  /** MEDIA_MAX_BYTES = 64 KiB, for the limit cases. */
  let small: RunningMedia;
  /** MEDIA_MAX_BYTES = 32 MiB, for the large round trip. */
  let large: RunningMedia;
  let db: TestDb;
  let store: StoreInspector;
  let alice: AuthResult;
  let channelId: string;

  beforeAll(async () => {
    auth = await startAuth();
    [small, large] = await Promise.all([
      startMedia(auth, { MEDIA_MAX_BYTES: String(LIMIT) }),
      startMedia(auth, { MEDIA_MAX_BYTES: String(32 * 1024 * 1024) }),
    ]);
    db = await TestDb.connect();
    store = new StoreInspector();
    alice = await registerUser(auth.url);
    channelId = await db.channel(alice.user.id);
  });

  afterAll(async () => {
    store.close();
    await db.close();
    await Promise.all([small.close(), large.close()]);
    await auth.close();
  });

  async function roundTrip(media: RunningMedia, data: Uint8Array, name: string) {
    const up = await uploadFile(media.url, alice.accessToken, channelId, data, name, 'text/plain');
    expect(up.status).toBe(201);
    const got = await getFile(media.url, alice.accessToken, up.body.id);
    expect(got.status).toBe(200);
    expect(got.bytes.length).toBe(data.length);
    expect(sha256(got.bytes)).toBe(sha256(data));
    return { file: up.body, got };
  }

  it('round-trips a small file byte for byte, with the contract File and download headers', async () => {
    const data = textBytes(0, TEXT_UNIT_BYTES * 3);
    const { file, got } = await roundTrip(small, data, 'notes.txt');
    expect(file).toEqual({
      id: expect.any(String),
      channelId,
      name: 'notes.txt',
      size: data.length,
      contentType: 'text/plain',
      uploadedBy: alice.user.id,
      createdAt: expect.any(String),
    });
    expect(got.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(got.headers.get('content-length')).toBe(String(data.length));
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`,
    );
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('accept-ranges')).toBe('bytes');
    expect(got.headers.get('etag')).toBe(`"${file.id}"`);
    expect(got.headers.get('last-modified')).toBeTruthy();

    const meta = await request(small.url, 'GET', `/files/${file.id}/meta`, { token: alice.accessToken });
    expect(meta.status).toBe(200);
    expect(meta.body).toEqual(file);

    // Files never change, so a revalidation is a cheap 304.
    const again = await getFile(small.url, alice.accessToken, file.id, {
      headers: { 'if-none-match': got.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
  });

  it('round-trips an empty file', async () => {
    const { file } = await roundTrip(small, new Uint8Array(0), 'empty.txt');
    expect(file.size).toBe(0);
    expect(file.contentType).toBe('text/plain');
  });

  it('accepts a file of exactly MEDIA_MAX_BYTES and refuses one byte more with 413', async () => {
    await roundTrip(small, asciiBytes(0, LIMIT), 'exact.txt');
    const before = (await db.filesIn(channelId)).length;
    const over = await uploadFile(
      small.url,
      alice.accessToken,
      channelId,
      asciiBytes(0, LIMIT + 1),
      'over.txt',
    );
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
      requestId: expect.any(String),
    });
    expect((await db.filesIn(channelId)).length).toBe(before);
  });

  it('answers 413 while an oversized body is still arriving, without reading it all', async () => {
    const total = 256 * 1024 * 1024;
    const { response, producedWhenAnswered } = await streamUpload(
      small.url,
      alice.accessToken,
      channelId,
      total,
      asciiBytes,
    );
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(producedWhenAnswered).toBeLessThan(total / 8);
  });

  it('answers 413 from Content-Length alone, before any of the body is sent', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${small.url}/files`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${alice.accessToken}`,
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(10 * 1024 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders(); // headers only: not one byte of the announced body
    });
    expect(status).toBe(413);
  });

  it('round-trips a file over 10 MiB streamed in, byte for byte (multipart to the store)', async () => {
    const size = TEXT_UNIT_BYTES * Math.ceil((12 * 1024 * 1024) / TEXT_UNIT_BYTES);
    const expected = createHash('sha256');
    for (let off = 0; off < size; off += 1 << 20)
      expected.update(textBytes(off, Math.min(1 << 20, size - off)));
    const { response } = await streamUpload(
      large.url,
      alice.accessToken,
      channelId,
      size,
      textBytes,
      'big.txt',
    );
    expect(response.status).toBe(201);
    expect(response.body.size).toBe(size);
    expect(response.body.contentType).toBe('text/plain');

    const res = await fetch(`${large.url}/files/${response.body.id}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(size));
    const got = createHash('sha256');
    let length = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      got.update(chunk);
      length += chunk.length;
    }
    expect(length).toBe(size);
    expect(got.digest('hex')).toBe(expected.digest('hex'));
  });

  describe('Range', () => {
    const data = asciiBytes(0, 10_000);
    let id: string;
    beforeAll(async () => {
      id = (await uploadFile(small.url, alice.accessToken, channelId, data, 'range.txt')).body.id;
    });

    it('serves the first bytes as 206 with Content-Range', async () => {
      const r = await getFile(small.url, alice.accessToken, id, { headers: { range: 'bytes=0-99' } });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe('bytes 0-99/10000');
      expect(r.headers.get('content-length')).toBe('100');
      expect(r.bytes.equals(Buffer.from(data.subarray(0, 100)))).toBe(true);
    });

    it('serves a middle slice', async () => {
      const r = await getFile(small.url, alice.accessToken, id, { headers: { range: 'bytes=5000-5009' } });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe('bytes 5000-5009/10000');
      expect(r.bytes.equals(Buffer.from(data.subarray(5000, 5010)))).toBe(true);
    });

    it('serves a suffix, and clamps an end past the last byte', async () => {
      const r = await getFile(small.url, alice.accessToken, id, { headers: { range: 'bytes=-500' } });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe('bytes 9500-9999/10000');
      expect(r.bytes.equals(Buffer.from(data.subarray(9500)))).toBe(true);
      const open = await getFile(small.url, alice.accessToken, id, {
        headers: { range: 'bytes=9990-20000' },
      });
      expect(open.status).toBe(206);
      expect(open.bytes.equals(Buffer.from(data.subarray(9990)))).toBe(true);
    });

    it('answers 416 with the size when the range starts past the end', async () => {
      const r = await getFile(small.url, alice.accessToken, id, { headers: { range: 'bytes=10000-' } });
      expect(r.status).toBe(416);
      expect(r.headers.get('content-range')).toBe('bytes */10000');
    });

    it('ignores a Range whose If-Range no longer matches, and several ranges at once', async () => {
      const stale = await getFile(small.url, alice.accessToken, id, {
        headers: { range: 'bytes=0-9', 'if-range': '"something-else"' },
      });
      expect(stale.status).toBe(200);
      expect(stale.bytes.length).toBe(10_000);
      const multi = await getFile(small.url, alice.accessToken, id, { headers: { range: 'bytes=0-1,5-6' } });
      expect(multi.status).toBe(200);
    });
  });

  describe('types come from the bytes', () => {
    it('refuses an executable disguised as a PNG (name and Content-Type) with 415, storing nothing', async () => {
      const exe = Buffer.concat([
        Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00', 'latin1'),
        Buffer.alloc(2000),
      ]);
      const before = (await db.filesIn(channelId)).length;
      const res = await uploadFile(small.url, alice.accessToken, channelId, exe, 'cat.png', 'image/png');
      expect(res.status).toBe(415);
      expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      // An ELF binary (application/x-elf since file-type 21) is not on the allowlist either.
      const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'), Buffer.alloc(500)]);
      const res2 = await uploadFile(small.url, alice.accessToken, channelId, elf, 'notes.txt', 'text/plain');
      expect(res2.status).toBe(415);
      expect((await db.filesIn(channelId)).length).toBe(before);
    });

    it('stores HTML sent as image/png as what it is (text/plain), never as an image', async () => {
      const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
      const res = await uploadFile(small.url, alice.accessToken, channelId, html, 'pretty.png', 'image/png');
      expect(res.status).toBe(201);
      expect(res.body.contentType).toBe('text/plain');
      const inline = await getFile(small.url, alice.accessToken, `${res.body.id}?inline=1`);
      expect(inline.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(inline.headers.get('content-disposition')).toMatch(/^attachment;/);
    });

    it('detects a real image whatever the client says', async () => {
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
        .png()
        .toBuffer();
      const res = await uploadFile(
        small.url,
        alice.accessToken,
        channelId,
        png,
        'file.dat',
        'application/octet-stream',
      );
      expect(res.status).toBe(201);
      expect(res.body.contentType).toBe('image/png');
    });
  });

  it('keeps a path-traversal filename out of the key and sanitizes the stored name', async () => {
    const res = await uploadFile(
      small.url,
      alice.accessToken,
      channelId,
      Buffer.from('hello'),
      '../../../etc/passwd',
      'text/plain',
    );
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('passwd');
    const row = await db.file(res.body.id);
    expect(row!.object_key).toBe(`files/${channelId}/${res.body.id}`);
    expect(await store.exists(`files/${channelId}/${res.body.id}`)).toBe(true);
    const got = await getFile(small.url, alice.accessToken, res.body.id);
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="passwd"; filename*=UTF-8''passwd`,
    );
  });

  it('puts a non-ASCII name in filename* (RFC 5987) with an ASCII fallback', async () => {
    const res = await uploadFile(
      small.url,
      alice.accessToken,
      channelId,
      Buffer.from('x'),
      'résumé (1).txt',
      'text/plain',
    );
    expect(res.body.name).toBe('résumé (1).txt');
    const got = await getFile(small.url, alice.accessToken, res.body.id);
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ (1).txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29.txt`,
    );
  });

  it('refuses malformed forms with 400 and uploads into channels the caller is not in with 404', async () => {
    const form = new FormData();
    form.append('file', new Blob(['x']), 'a.txt');
    form.append('channelId', channelId); // after the file: too late to decide where it goes
    const late = await fetch(`${small.url}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.accessToken}` },
      body: form,
    });
    expect(late.status).toBe(400);
    expect(((await late.json()) as { code: string }).code).toBe('VALIDATION');

    const json = await request(small.url, 'POST', '/files', {
      token: alice.accessToken,
      body: { channelId },
    });
    expect(json.status).toBe(400);

    const outsider = await registerUser(auth.url);
    const res = await uploadFile(small.url, outsider.accessToken, channelId, Buffer.from('x'), 'a.txt');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    const unauthenticated = await uploadFile(small.url, 'not-a-token', channelId, Buffer.from('x'), 'a.txt');
    expect(unauthenticated.status).toBe(401);
  });

  it('answers 409 CONFLICT once the uploader is over their quota', async () => {
    const quota = await startMedia(auth, { MEDIA_USER_QUOTA_BYTES: String(3000) });
    try {
      const carol = await registerUser(auth.url);
      const own = await db.channel(carol.user.id);
      const first = await uploadFile(quota.url, carol.accessToken, own, asciiBytes(0, 2000), 'a.txt');
      expect(first.status).toBe(201);
      const second = await uploadFile(quota.url, carol.accessToken, own, asciiBytes(0, 2000), 'b.txt');
      expect(second.status).toBe(409);
      expect(second.body.code).toBe('CONFLICT');
      expect(second.body.message).toMatch(/quota/i);
      // Deleting frees the room again.
      expect(
        (await request(quota.url, 'DELETE', `/files/${first.body.id}`, { token: carol.accessToken })).status,
      ).toBe(204);
      expect((await uploadFile(quota.url, carol.accessToken, own, asciiBytes(0, 2000), 'b.txt')).status).toBe(
        201,
      );

      // Racing uploads: whichever finishes second does not fit, and leaves neither a record nor an
      // object behind (the bytes were already in the store when the quota said no).
      const dan = await registerUser(auth.url);
      const dans = await db.channel(dan.user.id);
      const raced = await Promise.all(
        ['x.txt', 'y.txt'].map((name) =>
          uploadFile(quota.url, dan.accessToken, dans, asciiBytes(0, 2000), name),
        ),
      );
      expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);
      const winner = raced.find((r) => r.status === 201)!.body;
      expect((await db.filesIn(dans)).map((f) => f.id)).toEqual([winner.id]);
      expect(await store.keys(`files/${dans}/`)).toEqual([`files/${dans}/${winner.id}`]);
    } finally {
      await quota.close();
    }
  });

  it('counts uploads and downloads by outcome, and their bytes, on /metrics', async () => {
    const scrape = async () => {
      const text = await (await fetch(`${small.url}/metrics`)).text();
      return (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(series));
        return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
      };
    };
    const series = [
      'media_uploads_total{mode="stream",outcome="ok"',
      'media_uploads_total{mode="stream",outcome="payload_too_large"',
      'media_upload_bytes_total{mode="stream"',
      'media_downloads_total{variant="original",outcome="ok"',
      'media_downloads_total{variant="original",outcome="partial"',
      'media_download_bytes_total{variant="original"',
    ];
    const before = await scrape();
    const up = await uploadFile(small.url, alice.accessToken, channelId, asciiBytes(0, 1000), 'm.txt');
    await uploadFile(small.url, alice.accessToken, channelId, asciiBytes(0, LIMIT + 1), 'm.txt');
    await getFile(small.url, alice.accessToken, up.body.id);
    await getFile(small.url, alice.accessToken, up.body.id, { headers: { range: 'bytes=0-9' } });
    const after = await scrape();
    expect(series.map((s) => after(s) - before(s))).toEqual([1, 1, 1000, 1, 1, 1010]);
  });
});
