import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import type { AuthResult } from '@chat/contracts';
import { registerUser, request, startAuth, type Running } from '../support/apps';
import { getFile, startMedia, StoreInspector, TestDb, uploadFile, type RunningMedia } from '../support/media';
import {
  gifJsPolyglot,
  hostileCorpus,
  liarGif,
  liarJpeg,
  liarPng,
  pngZipPolyglot,
  zeroPng,
  zip,
} from './support/hostile-files';

/**
 * Files built to fool a media service: polyglots (valid as two formats at once), bombs that lie
 * about their size (to the thumbnailer, to the zip reader), bodies that lie about their length,
 * and names that try to escape their folder or a header. The stored type always comes from the
 * bytes, downloads never let a browser run them, bombs cost no more than a bounded amount of
 * memory, and nothing half-done is recorded.
 */
describe('security: hostile uploads', () => {
  let auth: Running & { jwksUrl: string };
  let media: RunningMedia;
  let db: TestDb;
  let store: StoreInspector;
  let alice: AuthResult;
  let channelId: string;

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    media = await startMedia(auth, { REDIS_URL: '' });
    db = await TestDb.connect();
    store = new StoreInspector();
    alice = await registerUser(auth.url);
    channelId = await db.channel(alice.user.id);
  });

  afterAll(async () => {
    store?.close();
    await db?.close();
    await media?.close();
    await auth?.close();
  });

  const upload = (data: Buffer, name: string, type = 'application/octet-stream') =>
    uploadFile(media.url, alice.accessToken, channelId, data, name, type);

  /** The headers that keep a browser from running a download, whatever its bytes. */
  const expectSafeDownload = (headers: Headers, disposition: 'attachment' | 'inline') => {
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-disposition')).toMatch(new RegExp(`^${disposition};`));
    expect(headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(headers.get('content-type') ?? '').not.toMatch(/html|javascript|ecmascript|xml|svg/i);
  };

  /** Health answers, and an ordinary upload right after goes through. */
  const expectServiceAlive = async (after: string) => {
    const health = await request(media.url, 'GET', '/healthz');
    const normal = await upload(Buffer.from(`still here after ${after}\n`), 'ok.txt', 'text/plain');
    expect({ after, health: health.status, upload: normal.status }).toEqual({
      after,
      health: 200,
      upload: 201,
    });
  };

  it('answers every file of the hostile corpus 201 or 415 within seconds, multipart and presigned, and stays up', async () => {
    const corpus = hostileCorpus();
    const rows: string[] = [];
    for (const file of corpus) {
      // Multipart: the body streams through the service, detected from its first bytes.
      let started = Date.now();
      const res = await upload(file.data, file.name, file.declared);
      const multipartMs = Date.now() - started;
      expect({ file: file.name, status: res.status }).toEqual({
        file: file.name,
        status: res.status === 201 ? 201 : 415,
      });
      if (res.status === 415) expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(multipartMs).toBeLessThan(5000);
      await expectServiceAlive(file.name);

      // Presigned: PUT straight to the store, detected when completed. Declaring what multipart
      // detected succeeds; a file multipart refused is refused here too, as bytes that are not the
      // (allowed) type declared: 409 by the contract.
      const declared = res.status === 201 ? res.body.contentType : file.declared;
      started = Date.now();
      const created = await request(media.url, 'POST', '/files/uploads', {
        token: alice.accessToken,
        body: { channelId, name: 'hostile.bin', size: file.data.length, contentType: declared },
      });
      expect({ file: file.name, status: created.status }).toEqual({ file: file.name, status: 201 });
      const put = await fetch(created.body.upload.url, {
        method: 'PUT',
        headers: created.body.upload.headers,
        body: file.data,
      });
      expect(put.ok).toBe(true);
      const completed = await request(media.url, 'POST', `/files/${created.body.file.id}/complete`, {
        token: alice.accessToken,
      });
      const presignedMs = Date.now() - started;
      expect({ file: file.name, status: completed.status }).toEqual({
        file: file.name,
        status: res.status === 201 ? 200 : 409,
      });
      expect(presignedMs).toBeLessThan(5000);
      await expectServiceAlive(`${file.name} (presigned)`);
      rows.push(
        `${file.kind} | ${file.name} | ${file.data.length} B | multipart ${res.status} ${res.body.contentType ?? ''} ${multipartMs} ms | presigned ${completed.status} ${presignedMs} ms`,
      );
    }
    console.log(`[security] hostile corpus (${corpus.length} files):\n${rows.join('\n')}`);

    // All of them at once: the parsers' pools queue them, and each still gets its answer.
    const started = Date.now();
    const all = await Promise.all(corpus.map((file) => upload(file.data, file.name, file.declared)));
    const ms = Date.now() - started;
    console.log(`[security] hostile corpus, ${corpus.length} uploads at once: ${ms} ms`);
    expect(all.filter((r) => r.status !== 201 && r.status !== 415).map((r) => r.status)).toEqual([]);
    expect(ms).toBeLessThan(15_000);
    await expectServiceAlive('the corpus at once');
    // About 300 requests in a row; each file's own limit is the 5 s above.
  }, 180_000);

  it('stores polyglots as the format their bytes start with and serves them inert', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    const cases: { name: string; data: Buffer; declared: string; stored: string; inline: boolean }[] = [
      {
        name: 'avatar.gif',
        data: gifJsPolyglot(),
        declared: 'application/javascript',
        stored: 'image/gif',
        inline: true,
      },
      {
        name: 'photo.png',
        data: pngZipPolyglot(png),
        declared: 'application/zip',
        stored: 'image/png',
        inline: true,
      },
      {
        name: 'page.html',
        data: Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>'),
        declared: 'text/html',
        stored: 'text/plain',
        inline: false,
      },
      {
        name: 'logo.svg',
        data: Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
        ),
        declared: 'image/svg+xml',
        stored: 'text/plain',
        inline: false,
      },
      {
        name: 'doc.pdf',
        data: Buffer.from(
          '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n<html><script>alert(1)</script>\n%%EOF\n',
        ),
        declared: 'text/html',
        stored: 'application/pdf',
        inline: false,
      },
    ];
    for (const c of cases) {
      const res = await upload(c.data, c.name, c.declared);
      expect({ name: c.name, status: res.status, type: res.body.contentType }).toEqual({
        name: c.name,
        status: 201,
        type: c.stored,
      });
      const plain = await getFile(media.url, alice.accessToken, res.body.id);
      expect(plain.status).toBe(200);
      expect(plain.bytes.equals(c.data)).toBe(true);
      expectSafeDownload(plain.headers, 'attachment');
      // ?inline=1 previews raster images only; anything else stays an attachment.
      const inline = await getFile(media.url, alice.accessToken, `${res.body.id}?inline=1`);
      expectSafeDownload(inline.headers, c.inline ? 'inline' : 'attachment');
      if (c.inline) expect(inline.headers.get('content-type')).toBe(c.stored);
    }
  });

  it('survives pixel bombs: no thumbnail for images declaring more pixels than allowed, memory bounded', async () => {
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#00f' } })
      .jpeg()
      .toBuffer();
    const bombs: [string, Buffer][] = [
      ['png-100000x100000.png', liarPng(100_000, 100_000)],
      ['png-1x2147483647.png', liarPng(1, 0x7fffffff)],
      ['gif-65535x65535.gif', liarGif()],
      ['jpeg-65500x65500.jpg', liarJpeg(jpeg, 65_500, 65_500)],
    ];
    const peak = rssSampler();
    const baseline = process.memoryUsage().rss;
    const started = Date.now();
    for (const [name, data] of bombs) {
      const res = await upload(data, name);
      expect({ name, status: res.status }).toEqual({ name, status: 201 });
      expect((await db.file(res.body.id))!.thumb_key).toBeNull();
      expect((await getFile(media.url, alice.accessToken, `${res.body.id}?thumb=1`)).status).toBe(404);
      // Still a file like any other: served back byte for byte, as an attachment.
      const back = await getFile(media.url, alice.accessToken, res.body.id);
      expect(back.bytes.equals(data)).toBe(true);
    }
    const ms = Date.now() - started;
    const grownMb = (peak.stop() - baseline) / 1024 / 1024;
    console.log(`[security] pixel bombs: ${bombs.length} in ${ms} ms, peak RSS +${Math.round(grownMb)} MB`);
    // Decoding any one of them would need gigabytes.
    expect(grownMb).toBeLessThan(256);
    expect((await request(media.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('thumbnails the largest image it allows (a 49-megapixel decompression bomb) within bounded memory', async () => {
    const bomb = zeroPng(7000, 7000);
    expect(bomb.length).toBeLessThan(200_000);
    const peak = rssSampler();
    const baseline = process.memoryUsage().rss;
    const started = Date.now();
    const res = await upload(bomb, 'big.png');
    const ms = Date.now() - started;
    const grownMb = (peak.stop() - baseline) / 1024 / 1024;
    console.log(
      `[security] 49 Mpx PNG (${bomb.length} bytes): ${ms} ms, peak RSS +${Math.round(grownMb)} MB`,
    );
    expect(res.status).toBe(201);
    const thumb = await getFile(media.url, alice.accessToken, `${res.body.id}?thumb=1`);
    expect(thumb.status).toBe(200);
    const meta = await sharp(thumb.bytes).metadata();
    expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(320);
    // 49 M pixels are 49 MB as 8-bit grey and 196 MB as RGBA: a streaming resize stays well below.
    expect(grownMb).toBeLessThan(400);
  });

  it('stores zip bombs as opaque zips: never unpacked, no thumbnail', async () => {
    const bombs: [string, Buffer][] = [
      ['zeros.zip', zip('zeros.bin', Buffer.alloc(20 * 1024 * 1024), { deflate: true })],
      ['liar.zip', zip('huge.bin', Buffer.from('tiny'), { claimSize: 0xffffffff })],
      [
        'nested.zip',
        zip('inner.zip', zip('zeros.bin', Buffer.alloc(5 * 1024 * 1024), { deflate: true }), {
          deflate: true,
        }),
      ],
    ];
    for (const [name, data] of bombs) {
      const res = await upload(data, name);
      expect({ name, status: res.status, type: res.body.contentType, size: res.body.size }).toEqual({
        name,
        status: 201,
        type: 'application/zip',
        size: data.length,
      });
      expect((await getFile(media.url, alice.accessToken, `${res.body.id}?thumb=1`)).status).toBe(404);
      const back = await getFile(media.url, alice.accessToken, res.body.id);
      expect(back.bytes.equals(data)).toBe(true);
      expectSafeDownload(back.headers, 'attachment');
    }
  });

  it('refuses bodies that lie about their length, recording nothing', async () => {
    const before = (await db.filesIn(channelId)).length;
    const boundary = 'xLIARx';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="channelId"\r\n\r\n${channelId}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n` +
        `Content-Type: text/plain\r\n\r\n${'hello world\n'.repeat(200)}\r\n--${boundary}--\r\n`,
    );
    // Shorter than the body: the form is cut off before its end.
    const short = await rawPost(media.url, alice.accessToken, boundary, body, body.length - 300);
    expect([400, 413]).toContain(short.status);
    // Longer than what is sent (the form stops mid-file), then the client goes away.
    const cut = body.subarray(0, body.length - 300);
    const long = await rawPost(media.url, alice.accessToken, boundary, cut, body.length + 5000, 1500);
    expect(long.status).toBe(0);
    // Direct upload declaring one size and putting another: refused when completed, nothing kept.
    const presigned = await request(media.url, 'POST', '/files/uploads', {
      token: alice.accessToken,
      body: { channelId, name: 'b.txt', size: 10, contentType: 'text/plain' },
    });
    expect(presigned.status).toBe(201);
    await fetch(presigned.body.upload.url, {
      method: 'PUT',
      headers: { ...presigned.body.upload.headers, 'content-length': '40' },
      body: Buffer.from('this is forty bytes of text, not ten!!\n\n'),
    }).catch(() => undefined);
    const completed = await request(media.url, 'POST', `/files/${presigned.body.file.id}/complete`, {
      token: alice.accessToken,
    });
    expect(completed.status).toBe(409);
    for (const size of [-1, 1.5, 'ten', 1e20, 26214401]) {
      const bad = await request(media.url, 'POST', '/files/uploads', {
        token: alice.accessToken,
        body: { channelId, name: 'c.txt', size, contentType: 'text/plain' },
      });
      expect({ size, status: bad.status }).toEqual({ size, status: size === 26214401 ? 413 : 400 });
    }
    await new Promise((r) => setTimeout(r, 300));
    const ready = (await db.filesIn(channelId)).filter((f) => f.status === 'ready');
    expect(ready.length).toBe(before);
    expect((await request(media.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('keeps traversal and header-injection names out of keys and headers', async () => {
    const names = [
      '../../../../etc/passwd',
      '..\\..\\..\\windows\\win.ini',
      '/etc/shadow',
      'a/../../b.txt',
      '....//....//x.txt',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '.htaccess',
      'CON.txt',
      'invoice\u202Efdp.exe',
      'x'.repeat(1000) + '.txt',
      'quote".txt',
    ];
    for (const name of names) {
      const res = await upload(Buffer.from('plain text\n'), name, 'text/plain');
      expect({ name: name.slice(0, 40), status: res.status }).toEqual({
        name: name.slice(0, 40),
        status: 201,
      });
      const row = (await db.file(res.body.id))!;
      expect(row.object_key).toMatch(/^[\w/-]+$/);
      expect(row.object_key).not.toContain('..');
      expect(row.object_key).toContain(res.body.id);
      const stored: string = res.body.name;
      // eslint-disable-next-line no-control-regex -- control characters are what must not be there
      expect(stored).not.toMatch(/[/\\\u0000-\u001f\u202e"]/);
      expect(stored.startsWith('.')).toBe(false);
      expect(stored.length).toBeLessThanOrEqual(200);
      const got = await getFile(media.url, alice.accessToken, res.body.id);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-disposition')).not.toMatch(/[/\\]/);
    }
    // CR/LF smuggled in through RFC 5987 `filename*`, which multipart parsers decode.
    const boundary = 'xCRLFx';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="channelId"\r\n\r\n${channelId}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20pwned%3D1%0D%0A.txt\r\n` +
        `Content-Type: text/plain\r\n\r\nhello\n\r\n--${boundary}--\r\n`,
    );
    const injected = await rawPost(media.url, alice.accessToken, boundary, body, body.length);
    expect(injected.status).toBe(201);
    const id = JSON.parse(injected.body).id as string;
    const got = await getFile(media.url, alice.accessToken, id);
    expect(got.status).toBe(200);
    expect(got.headers.get('set-cookie')).toBeNull();
    expect(got.headers.get('content-disposition')).not.toMatch(/[\r\n]/);
    // Nothing was written outside the service's own key space.
    const everything = await store.keys('');
    expect(everything.filter((k) => k.includes('..') || k.includes('etc/') || k.startsWith('/'))).toEqual([]);
  });
});

/** Samples this process's RSS every 20 ms; `stop()` gives the peak (media runs in this process). */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** POST /files with a hand-set Content-Length; status 0 when the client gave up after `abortMs`. */
function rawPost(
  base: string,
  token: string,
  boundary: string,
  body: Buffer,
  contentLength: number,
  abortMs?: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const url = new URL('/files', base);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(contentLength),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.write(body.subarray(0, Math.min(body.length, contentLength)));
    if (abortMs) setTimeout(() => req.destroy(), abortMs);
    else req.end();
  });
}
