/**
 * Who may read and delete files, deletion's effects, and image previews (inline, thumbnails),
 * against real Postgres and s3rver. Channels and memberships are written straight to the database:
 * creating them is the gateway's job.
 *
 * s3rver does NOT verify request signatures, so nothing here shows signature tampering refused.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { AuthResult, FileInfo } from '@chat/contracts';
import { createEventBus, type DomainEvents, type EventBus } from '@chat/platform';
import { registerUser, request, startAuth, type Running } from '../../../test/support/apps';
import {
  getFile,
  StoreInspector,
  startMedia,
  TestDb,
  uploadFile,
  type RunningMedia,
} from '../../../test/support/media';

type FileDeleted = DomainEvents['file.deleted'];

/** CRC-32 (PNG chunks carry one). */
function crc32(data: Buffer): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid PNG of a few hundred bytes whose header claims 30000×30000 pixels: a decompression bomb. */
function pixelBomb(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(30_000, 0);
  ihdr.writeUInt32BE(30_000, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(30_001 * 4))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('media: access, deletion and previews', () => {
  let auth: Running & { jwksUrl: string };
  let media: RunningMedia;
  let db: TestDb;
  let store: StoreInspector;
  let bus: EventBus;
  const deletions: FileDeleted[] = [];
  /** Uploader and member. */
  let alice: AuthResult;
  /** Member. */
  let bob: AuthResult;
  /** Never a member. */
  let carol: AuthResult;
  /** Member, removed during the tests. */
  let dave: AuthResult;
  /** Moderator, not a member. */
  let mod: AuthResult;
  let channelId: string;
  let png: Buffer;

  beforeAll(async () => {
    auth = await startAuth();
    media = await startMedia(auth);
    db = await TestDb.connect();
    store = new StoreInspector();
    // The gateway's view: the same bus the service publishes on (Redis when REDIS_URL is set).
    bus = createEventBus(process.env.REDIS_URL ?? '', process.env.REDIS_PREFIX ?? 'chat');
    bus.subscribe('file.deleted', (e) => void deletions.push(e));
    [alice, bob, carol, dave, mod] = await Promise.all(
      Array.from({ length: 5 }, () => registerUser(auth.url)),
    );
    await db.setRoles(mod.user.id, ['member', 'moderator']);
    channelId = await db.channel(alice.user.id, [bob.user.id, dave.user.id]);
    png = await sharp({ create: { width: 1000, height: 500, channels: 4, background: '#3a3' } })
      .png()
      .toBuffer();
  });

  afterAll(async () => {
    await bus.close();
    store.close();
    await db.close();
    await media.close();
    await auth.close();
  });

  const upload = async (data: Uint8Array, name: string, as = alice): Promise<FileInfo> => {
    const res = await uploadFile(media.url, as.accessToken, channelId, data, name);
    expect(res.status).toBe(201);
    return res.body;
  };
  const status = async (method: string, path: string, who: AuthResult) =>
    (await request(media.url, method, path, { token: who.accessToken })).status;

  it('lets the uploader and members read a file; everyone else gets 404', async () => {
    const file = await upload(png, 'photo.png');
    for (const [who, expected] of [
      [alice, 200],
      [bob, 200],
      [dave, 200],
      [carol, 404],
      [mod, 404],
    ] as const) {
      expect([who.user.username, await status('GET', `/files/${file.id}`, who)]).toEqual([
        who.user.username,
        expected,
      ]);
      expect([who.user.username, await status('GET', `/files/${file.id}/meta`, who)]).toEqual([
        who.user.username,
        expected,
      ]);
    }
    const unknown = await request(media.url, 'GET', `/files/00000000-0000-4000-8000-000000000000`, {
      token: alice.accessToken,
    });
    const hidden = await request(media.url, 'GET', `/files/${file.id}`, { token: carol.accessToken });
    // Someone else's file looks exactly like no file at all.
    expect(hidden.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', message: unknown.body.message });
    expect((await request(media.url, 'GET', '/files/not-a-uuid', { token: alice.accessToken })).status).toBe(
      404,
    );
    expect((await request(media.url, 'GET', `/files/${file.id}`)).status).toBe(401);
  });

  it('takes access away from a removed member at once, and leaves the uploader theirs', async () => {
    const file = await upload(Buffer.from('minutes of the meeting'), 'minutes.txt');
    const other = await upload(Buffer.from('by bob'), 'bob.txt', bob);
    expect(await status('GET', `/files/${file.id}`, dave)).toBe(200);
    await db.removeMember(channelId, dave.user.id);
    expect(await status('GET', `/files/${file.id}`, dave)).toBe(404);
    expect(await status('GET', `/files/${file.id}/meta`, dave)).toBe(404);
    expect(await status('DELETE', `/files/${file.id}`, dave)).toBe(404);

    // Bob leaves too: his own upload stays his.
    await db.removeMember(channelId, bob.user.id);
    expect(await status('GET', `/files/${other.id}`, bob)).toBe(200);
    expect(await status('GET', `/files/${file.id}`, bob)).toBe(404);
    await db.addMember(channelId, bob.user.id);
  });

  it('lets the uploader, a moderator or an admin delete; a member gets 403 and an outsider 404', async () => {
    const file = await upload(png, 'delete-me.png');
    expect(await status('DELETE', `/files/${file.id}`, carol)).toBe(404);
    expect(await status('DELETE', `/files/${file.id}`, bob)).toBe(403);
    expect(await status('GET', `/files/${file.id}`, bob)).toBe(200);
    expect(await status('DELETE', `/files/${file.id}`, mod)).toBe(204);
    expect(await status('GET', `/files/${file.id}`, alice)).toBe(404);

    const own = await upload(Buffer.from('mine'), 'mine.txt');
    expect(await status('DELETE', `/files/${own.id}`, alice)).toBe(204);
    expect(await status('DELETE', `/files/${own.id}`, alice)).toBe(404);

    const admin = await registerUser(auth.url);
    await db.setRoles(admin.user.id, ['admin', 'member']);
    const third = await upload(Buffer.from('x'), 'x.txt', bob);
    expect(await status('DELETE', `/files/${third.id}`, admin)).toBe(204);
  });

  it('deleting removes the object, the thumbnail and the row, and tells the gateway', async () => {
    const file = await upload(png, 'attached.png');
    const row = await db.file(file.id);
    expect(row!.thumb_key).toBe(`thumbs/${channelId}/${file.id}.webp`);
    expect(await store.exists(row!.object_key)).toBe(true);
    expect(await store.exists(row!.thumb_key)).toBe(true);
    // Attached to a message, as the gateway would do on send.
    const [{ id: messageId }] = await db.query<{ id: string }>(
      `INSERT INTO messages (channel_id, seq, author_id, body) VALUES ($1, 1, $2, 'look') RETURNING id`,
      [channelId, alice.user.id],
    );
    await db.query(`UPDATE files SET message_id = $2 WHERE id = $1`, [file.id, messageId]);

    expect(await status('DELETE', `/files/${file.id}`, alice)).toBe(204);
    expect(await store.exists(row!.object_key)).toBe(false);
    expect(await store.exists(row!.thumb_key)).toBe(false);
    expect(await db.file(file.id)).toBeUndefined();
    // Delivery is asynchronous (a Redis round trip when deployed): wait for it, bounded.
    for (let i = 0; i < 60 && !deletions.some((d) => d.fileId === file.id); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(deletions).toContainEqual({ fileId: file.id, channelId, messageId });
  });

  it('previews images inline on request, and never anything else', async () => {
    const image = await upload(png, 'photo.png');
    const plain = await getFile(media.url, alice.accessToken, image.id);
    expect(plain.headers.get('content-disposition')).toMatch(/^attachment;/);
    const inline = await getFile(media.url, alice.accessToken, `${image.id}?inline=1`);
    expect(inline.status).toBe(200);
    expect(inline.headers.get('content-type')).toBe('image/png');
    expect(inline.headers.get('content-disposition')).toBe(
      `inline; filename="photo.png"; filename*=UTF-8''photo.png`,
    );
    expect(inline.headers.get('x-content-type-options')).toBe('nosniff');

    const text = await upload(Buffer.from('<b>hi</b>'), 'page.html');
    const notInline = await getFile(media.url, alice.accessToken, `${text.id}?inline=1`);
    expect(notInline.status).toBe(200);
    expect(notInline.headers.get('content-disposition')).toMatch(/^attachment;/);

    // SVG can carry script: it is text to us, never an image to preview.
    const svg = await upload(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'),
      'a.svg',
    );
    expect(svg.contentType).toBe('text/plain');
    const svgInline = await getFile(media.url, alice.accessToken, `${svg.id}?inline=1`);
    expect(svgInline.headers.get('content-disposition')).toMatch(/^attachment;/);

    expect(
      (await request(media.url, 'GET', `/files/${image.id}?inline=maybe`, { token: alice.accessToken }))
        .status,
    ).toBe(400);
  });

  it('serves a webp thumbnail of an image, and 404 for files without one', async () => {
    const image = await upload(png, 'wide.png');
    const thumb = await getFile(media.url, bob.accessToken, `${image.id}?thumb=1`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(thumb.headers.get('content-disposition')).toBe(
      `inline; filename="wide.webp"; filename*=UTF-8''wide.webp`,
    );
    const meta = await sharp(thumb.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 160]);
    expect(await status('GET', `/files/${image.id}?thumb=1`, carol)).toBe(404);

    const text = await upload(Buffer.from('no pictures here'), 'a.txt');
    const none = await request(media.url, 'GET', `/files/${text.id}?thumb=1`, { token: alice.accessToken });
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('NOT_FOUND');
  });

  it('accepts a pixel bomb as a file but makes no thumbnail of it', async () => {
    const bomb = pixelBomb();
    const file = await upload(bomb, 'bomb.png');
    expect(file.contentType).toBe('image/png');
    expect((await db.file(file.id))!.thumb_key).toBeNull();
    expect(await status('GET', `/files/${file.id}?thumb=1`, alice)).toBe(404);
    const got = await getFile(media.url, alice.accessToken, file.id);
    expect(got.bytes.equals(bomb)).toBe(true);
  });
});
