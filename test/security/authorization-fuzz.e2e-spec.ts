import { randomBytes, randomUUID } from 'node:crypto';
import { request, startAuth, type Running } from '../support/apps';
import {
  api,
  closeSql,
  connect,
  Inbox,
  newUser,
  sendRaw,
  sleep,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../support/gateway';
import { startMedia, uploadFile, type RunningMedia } from '../support/media';

/** What an answer says, with the id the caller asked about blanked out. */
interface Answer {
  status: number | 'ack';
  code: string;
  message: string;
}

type Kind = 'channel' | 'message' | 'file';

interface Op {
  name: string;
  kind: Kind;
  run(id: string): Promise<{ answer: Answer; text: string }>;
}

/**
 * 1,000+ requests naming channels, messages and files the caller may not see (other users'
 * private channels and DMs), random UUIDs and malformed ids, over REST (gateway and media) and the
 * socket. A hidden resource must be indistinguishable from one that does not exist: same status,
 * same code, same message as for a random UUID; nothing about it may leak, and nothing may change.
 */
describe('security: authorization fuzz (existence never leaks)', () => {
  const SECRET = `TOPSECRET-${randomBytes(4).toString('hex')}`;
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let media: RunningMedia;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let mallory: TestUser;
  let malloryChannel: string;
  let socket: TestSocket;
  let inbox: Inbox;
  const hidden: Record<Kind, string[]> = { channel: [], message: [], file: [] };
  let requests = 0;

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    [gw, media] = await Promise.all([
      startGateway(auth, { REDIS_URL: '' }),
      startMedia(auth, { REDIS_URL: '' }),
    ]);
    [alice, bob, carol, dave, mallory] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave', 'mallory'].map((n) => newUser(auth.url, n)),
    );
    // A private channel of alice and bob, a DM of carol and dave: each with a message and a file.
    const priv = await api(gw.url, alice)('POST', '/channels', { name: `${SECRET}-room`, kind: 'private' });
    await api(gw.url, alice)('POST', `/channels/${priv.body.id}/members`, { userId: bob.id });
    const dm = await api(gw.url, carol)('POST', '/dms', { userId: dave.id });
    hidden.channel.push(priv.body.id, dm.body.id);
    for (const [user, channelId] of [
      [alice, priv.body.id],
      [carol, dm.body.id],
    ] as const) {
      const m = await api(gw.url, user)('POST', `/channels/${channelId}/messages`, {
        body: `${SECRET} plans`,
      });
      expect(m.status).toBe(201);
      hidden.message.push(m.body.id);
      const f = await uploadFile(
        media.url,
        user.token,
        channelId,
        Buffer.from(`${SECRET}\n`),
        `${SECRET}.txt`,
        'text/plain',
      );
      expect(f.status).toBe(201);
      hidden.file.push(f.body.id);
    }
    malloryChannel = (await api(gw.url, mallory)('POST', '/channels', { name: 'mine', kind: 'private' })).body
      .id;
    socket = await connect(gw.url, mallory.token);
    inbox = new Inbox(socket);
  });

  afterAll(async () => {
    socket?.close();
    await Promise.all([gw?.close(), media?.close()]);
    await auth?.close();
    await closeSql();
  });

  const blank = (text: unknown, id: string) =>
    (typeof text === 'string' ? text : '')
      .split(id)
      .join('<id>')
      .split(id.toLowerCase())
      .join('<id>')
      .split(id.toUpperCase())
      .join('<id>');

  const http =
    (base: () => string, method: string, path: (id: string) => string, body?: (id: string) => unknown) =>
    async (id: string) => {
      requests++;
      const res = await request(base(), method, path(encodeURIComponent(id)), {
        token: mallory.token,
        body: body?.(id),
      });
      return {
        answer: { status: res.status, code: res.body?.code ?? '', message: blank(res.body?.message, id) },
        text: JSON.stringify(res.body ?? ''),
      };
    };

  const ack = (event: string, payload: (id: string) => object) => async (id: string) => {
    requests++;
    const a = await sendRaw(socket, event, [payload(id)]);
    return {
      answer: {
        status: 'ack' as const,
        code: a.ok ? 'ok' : a.error.code,
        message: blank(a.ok ? '' : a.error.message, id),
      },
      text: JSON.stringify(a),
    };
  };

  const upload = async (id: string) => {
    requests++;
    const res = await uploadFile(media.url, mallory.token, id, Buffer.from('hello\n'), 'a.txt', 'text/plain');
    return {
      answer: { status: res.status, code: res.body?.code ?? '', message: blank(res.body?.message, id) },
      text: JSON.stringify(res.body),
    };
  };

  const ops = (): Op[] => {
    const g = () => gw.url;
    const m = () => media.url;
    return [
      { name: 'GET /channels/:id', kind: 'channel', run: http(g, 'GET', (id) => `/channels/${id}`) },
      {
        name: 'GET /channels/:id/members',
        kind: 'channel',
        run: http(g, 'GET', (id) => `/channels/${id}/members`),
      },
      {
        name: 'GET /channels/:id/messages',
        kind: 'channel',
        run: http(g, 'GET', (id) => `/channels/${id}/messages`),
      },
      {
        name: 'GET /channels/:id/messages?after=0',
        kind: 'channel',
        run: http(g, 'GET', (id) => `/channels/${id}/messages?after=0&limit=100`),
      },
      {
        name: 'POST /channels/:id/messages',
        kind: 'channel',
        run: http(
          g,
          'POST',
          (id) => `/channels/${id}/messages`,
          () => ({ body: 'let me in' }),
        ),
      },
      {
        name: 'POST /channels/:id/join',
        kind: 'channel',
        run: http(g, 'POST', (id) => `/channels/${id}/join`),
      },
      {
        name: 'POST /channels/:id/leave',
        kind: 'channel',
        run: http(g, 'POST', (id) => `/channels/${id}/leave`),
      },
      {
        name: 'PATCH /channels/:id',
        kind: 'channel',
        run: http(
          g,
          'PATCH',
          (id) => `/channels/${id}`,
          () => ({ topic: 'pwned' }),
        ),
      },
      {
        name: 'POST /channels/:id/members',
        kind: 'channel',
        run: http(
          g,
          'POST',
          (id) => `/channels/${id}/members`,
          () => ({ userId: mallory.id }),
        ),
      },
      {
        name: 'DELETE /channels/:id/members/:userId',
        kind: 'channel',
        run: http(g, 'DELETE', (id) => `/channels/${id}/members/${alice.id}`),
      },
      {
        name: 'POST /channels/:id/read',
        kind: 'channel',
        run: http(
          g,
          'POST',
          (id) => `/channels/${id}/read`,
          () => ({ seq: 1 }),
        ),
      },
      {
        name: 'GET /search?channelId=',
        kind: 'channel',
        run: http(g, 'GET', (id) => `/search?q=${SECRET}&channelId=${id}`),
      },
      { name: 'POST /files (multipart)', kind: 'channel', run: upload },
      {
        name: 'POST /files/uploads',
        kind: 'channel',
        run: http(
          m,
          'POST',
          () => '/files/uploads',
          (id) => ({ channelId: id, name: 'a.txt', size: 5, contentType: 'text/plain' }),
        ),
      },
      {
        name: 'socket message:send',
        kind: 'channel',
        run: ack('message:send', (id) => ({ channelId: id, body: 'hi' })),
      },
      {
        name: 'socket channel:sync',
        kind: 'channel',
        run: ack('channel:sync', (id) => ({ channelId: id, afterSeq: 0 })),
      },
      {
        name: 'socket channel:read',
        kind: 'channel',
        run: ack('channel:read', (id) => ({ channelId: id, seq: 1 })),
      },
      {
        name: 'socket typing',
        kind: 'channel',
        run: ack('typing', (id) => ({ channelId: id, typing: true })),
      },
      {
        name: 'PATCH /messages/:id',
        kind: 'message',
        run: http(
          g,
          'PATCH',
          (id) => `/messages/${id}`,
          () => ({ body: 'pwned' }),
        ),
      },
      { name: 'DELETE /messages/:id', kind: 'message', run: http(g, 'DELETE', (id) => `/messages/${id}`) },
      {
        name: 'socket message:edit',
        kind: 'message',
        run: ack('message:edit', (id) => ({ messageId: id, body: 'pwned' })),
      },
      {
        name: 'socket message:delete',
        kind: 'message',
        run: ack('message:delete', (id) => ({ messageId: id })),
      },
      { name: 'GET /files/:id', kind: 'file', run: http(m, 'GET', (id) => `/files/${id}`) },
      { name: 'GET /files/:id/meta', kind: 'file', run: http(m, 'GET', (id) => `/files/${id}/meta`) },
      { name: 'GET /files/:id?thumb=1', kind: 'file', run: http(m, 'GET', (id) => `/files/${id}?thumb=1`) },
      { name: 'GET /files/:id?inline=1', kind: 'file', run: http(m, 'GET', (id) => `/files/${id}?inline=1`) },
      { name: 'DELETE /files/:id', kind: 'file', run: http(m, 'DELETE', (id) => `/files/${id}`) },
      {
        name: 'POST /channels/:own/messages attaching it',
        kind: 'file',
        run: http(
          g,
          'POST',
          () => `/channels/${malloryChannel}/messages`,
          (id) => ({ body: 'mine now', attachmentIds: [id] }),
        ),
      },
      {
        name: 'socket message:send attaching it',
        kind: 'file',
        run: ack('message:send', (id) => ({
          channelId: malloryChannel,
          body: 'mine now',
          attachmentIds: [id],
        })),
      },
    ];
  };

  const noLeak = (what: string, text: string) => {
    expect({ what, leaked: text.includes(SECRET) }).toEqual({ what, leaked: false });
  };

  it('answers a hidden channel, message or file exactly like a random UUID, over REST and the socket', async () => {
    const diffs: string[] = [];
    for (let round = 0; round < 6; round++) {
      for (const op of ops()) {
        const control = await op.run(randomUUID());
        noLeak(op.name, control.text);
        expect({
          op: op.name,
          status: control.answer.status === 'ack' ? 'ack' : control.answer.status >= 400,
        }).toEqual({
          op: op.name,
          status: control.answer.status === 'ack' ? 'ack' : true,
        });
        for (const id of hidden[op.kind]) {
          // Ids are case-insensitive: an upper-cased hidden id is the same resource.
          const variant = round % 2 === 0 ? id : id.toUpperCase();
          const got = await op.run(variant);
          noLeak(op.name, got.text);
          if (JSON.stringify(got.answer) !== JSON.stringify(control.answer)) {
            diffs.push(
              `${op.name}: hidden ${JSON.stringify(got.answer)} vs random ${JSON.stringify(control.answer)}`,
            );
          }
        }
      }
    }
    expect([...new Set(diffs)]).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(500);
  }, 120_000);

  it('answers malformed ids like "does not exist" (404/400), never with a server error or a leak', async () => {
    // (An empty id would name another route, e.g. GET /channels/: not a malformed id.)
    const malformed = [
      ' ',
      'abc',
      '1',
      '-1',
      '0x10',
      "' OR '1'='1",
      '1; DROP TABLE messages; --',
      '../../etc/passwd',
      '..%2f..%2fetc%2fpasswd',
      '%00',
      'null',
      '{}',
      '[]',
      'a'.repeat(2000),
      `${randomUUID()}\u0000`,
      `{${randomUUID()}}`,
      `${randomUUID()} `,
      randomUUID().replace(/-/g, ''),
      '😀',
    ];
    const wrong: string[] = [];
    for (const op of ops()) {
      for (const id of malformed) {
        const got = await op.run(id);
        noLeak(op.name, got.text);
        const { status, code } = got.answer;
        const statusOk = status === 'ack' || status === 400 || status === 404;
        if (!statusOk || !['VALIDATION', 'NOT_FOUND'].includes(code)) {
          wrong.push(`${op.name} ${JSON.stringify(id.slice(0, 40))}: ${status} ${code}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(1000);
  }, 120_000);

  it('changed nothing and pushed nothing from the hidden channels to the prober', async () => {
    // The owners carry on; none of it may reach mallory's socket.
    await api(gw.url, alice)('POST', `/channels/${hidden.channel[0]}/messages`, { body: `${SECRET} more` });
    await api(gw.url, carol)('POST', `/channels/${hidden.channel[1]}/messages`, { body: `${SECRET} more` });
    await sleep(300);
    expect(JSON.stringify(inbox.received)).not.toContain(SECRET);
    for (const id of hidden.channel)
      expect(inbox.received.filter((r) => JSON.stringify(r.payload).includes(id))).toEqual([]);

    // Every hidden thing is as it was: members, bodies, files.
    const members = await api(gw.url, alice)('GET', `/channels/${hidden.channel[0]}/members`);
    expect(members.body.map((x: { userId: string }) => x.userId).sort()).toEqual([alice.id, bob.id].sort());
    const dmMembers = await api(gw.url, carol)('GET', `/channels/${hidden.channel[1]}/members`);
    expect(dmMembers.body.map((x: { userId: string }) => x.userId).sort()).toEqual(
      [carol.id, dave.id].sort(),
    );
    const topic = await api(gw.url, alice)('GET', `/channels/${hidden.channel[0]}`);
    expect(topic.body.topic ?? '').not.toBe('pwned');
    for (const [user, channelId] of [
      [alice, hidden.channel[0]],
      [carol, hidden.channel[1]],
    ] as const) {
      const page = await api(gw.url, user)('GET', `/channels/${channelId}/messages`);
      expect(page.body.messages.map((x: { body: string; deleted: boolean }) => [x.body, x.deleted])).toEqual([
        [`${SECRET} plans`, false],
        [`${SECRET} more`, false],
      ]);
    }
    for (const [user, fileId] of [
      [alice, hidden.file[0]],
      [carol, hidden.file[1]],
    ] as const) {
      const meta = await request(media.url, 'GET', `/files/${fileId}/meta`, { token: user.token });
      expect(meta.status).toBe(200);
    }
    const own = await api(gw.url, mallory)('GET', `/channels/${malloryChannel}/messages`);
    expect(own.body.messages).toEqual([]);
    const mine = await api(gw.url, mallory)('GET', '/channels');
    expect(mine.body.map((c: { id: string }) => c.id)).toEqual([malloryChannel]);
  });
});
