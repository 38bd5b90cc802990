import { startAuth, type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  closeSql,
  connect,
  Inbox,
  newUser,
  send,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { TYPING_MAX_SHOWN } from '../src/presence/typing.service';

/**
 * A channel whose room is larger than SOCKET_BROADCAST_SLICE on every replica, so each message is
 * written in slices (docs/scaling.md "Large channels"). Rooms count sockets, so a few members with
 * many tabs each make a room of hundreds of sockets without registering hundreds of accounts; the
 * slice is lowered to match (the default, 500, is for 10,000-member channels).
 */
const SLICE = 50; // a bucket bound of gateway_broadcast_slice_sockets
const MEMBERS = 16;
const TABS = 16;
const BURST = 6;

interface Fixture {
  owner: TestUser;
  members: TestUser[];
  channelId: string;
  inboxes: Inbox[];
  sockets: TestSocket[];
}

/** A public channel of `owner` with MEMBERS members (the owner included), TABS sockets each, spread over `gateways`. */
async function bigChannel(auth: { url: string }, gateways: Running[]): Promise<Fixture> {
  const members = await Promise.all(Array.from({ length: MEMBERS }, () => newUser(auth.url, 'big')));
  const [owner] = members;
  const created = await api(gateways[0].url, owner)('POST', '/channels', {
    name: `big-${owner.username}`,
    kind: 'public',
  });
  const channelId = created.body.id as string;
  for (const m of members.slice(1)) await api(gateways[0].url, m)('POST', `/channels/${channelId}/join`);
  const sockets = await Promise.all(
    members.flatMap((m, i) =>
      Array.from({ length: TABS }, (_, t) => connect(gateways[(i + t) % gateways.length].url, m.token)),
    ),
  );
  return { owner, members, channelId, sockets, inboxes: sockets.map((s) => new Inbox(s)) };
}

/** The slice histogram's count and sum on one gateway. */
async function slices(gateway: Running): Promise<{ count: number; sum: number; atMostSlice: number }> {
  const text = await fetch(`${gateway.url}/metrics`).then((r) => r.text());
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    count: value(/^gateway_broadcast_slice_sockets_count(?:\{[^}]*\})? (\S+)$/m),
    sum: value(/^gateway_broadcast_slice_sockets_sum(?:\{[^}]*\})? (\S+)$/m),
    atMostSlice: value(
      new RegExp(`^gateway_broadcast_slice_sockets_bucket\\{[^}]*le="${SLICE}"[^}]*\\} (\\S+)$`, 'm'),
    ),
  };
}

/**
 * BURST messages sent back to back (without waiting for acks) reach every socket of the channel
 * once each, in seq order, and every delivery was written in slices of at most SLICE sockets.
 */
async function burstIsDeliveredInSlices(f: Fixture, gateways: Running[]): Promise<void> {
  const before = await Promise.all(gateways.map(slices));
  const acks = await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      // Generous: hundreds of sockets on a shared 2-core machine (no timing is asserted).
      send(f.sockets[0], 'message:send', { channelId: f.channelId, body: `burst ${i}` }, 30_000),
    ),
  );
  const seqs = acks.map((a) => (a.ok ? a.message.seq : -1));
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));

  await Promise.all(f.inboxes.map((inbox) => inbox.count('message:new', BURST, () => true, 30_000)));
  for (const inbox of f.inboxes) expect(inbox.all('message:new').map((m) => m.seq)).toEqual(seqs);

  const after = await Promise.all(gateways.map(slices));
  // Sockets alternate between the gateways, so each holds an equal share of the room.
  const room = f.sockets.length / gateways.length;
  gateways.forEach((_, g) => {
    const written = after[g].sum - before[g].sum;
    const count = after[g].count - before[g].count;
    // Every delivery of the burst on this replica went through the slicer …
    expect(written).toBe(BURST * room);
    // … a room larger than a slice took several turns per message …
    expect(count).toBeGreaterThanOrEqual(BURST * Math.ceil(room / SLICE));
    // … and no turn wrote more than a slice.
    expect(after[g].atMostSlice - before[g].atMostSlice).toBe(count);
  });
}

describeWithRedis('a big channel on two replicas (classic Redis adapter)', () => {
  let auth: Running & { jwksUrl: string };
  let gateways: Running[];
  let f: Fixture;

  beforeAll(async () => {
    auth = await startAuth();
    gateways = await Promise.all([
      startGateway(auth, { SOCKET_BROADCAST_SLICE: String(SLICE) }),
      startGateway(auth, { SOCKET_BROADCAST_SLICE: String(SLICE) }),
    ]);
    f = await bigChannel(auth, gateways);
  }, 60_000);

  afterAll(async () => {
    for (const s of f?.sockets ?? []) s.close();
    await Promise.all((gateways ?? []).map((g) => g.close()));
    await auth?.close();
    await closeSql();
  });

  it('delivers a burst of messages to every socket once, in order, written in slices', async () => {
    await burstIsDeliveredInSlices(f, gateways);
  }, 60_000);

  it(`shows at most ${TYPING_MAX_SHOWN} typists at once; a hidden one shows when a slot frees and it renews`, async () => {
    const typists = f.members.slice(1, TYPING_MAX_SHOWN + 3);
    const socketOf = (u: TestUser) => f.sockets[f.members.indexOf(u) * TABS];
    const watcher = f.inboxes[0];
    watcher.clear();
    for (const t of typists)
      expect(await send(socketOf(t), 'typing', { channelId: f.channelId, typing: true })).toEqual({
        ok: true,
      });

    const shown = await watcher.count('typing', TYPING_MAX_SHOWN, (e) => e.typing);
    expect(await watcher.during('typing', 300)).toEqual([]);
    const shownIds = shown.map((e) => e.userId);
    const hidden = typists.filter((t) => !shownIds.includes(t.id));
    expect(hidden).toHaveLength(typists.length - TYPING_MAX_SHOWN);

    // A hidden typist stopping says nothing: nobody saw it start.
    await send(socketOf(hidden[0]), 'typing', { channelId: f.channelId, typing: false });
    const leaving = typists.find((t) => t.id === shownIds[0])!;
    await send(socketOf(leaving), 'typing', { channelId: f.channelId, typing: false });
    expect(await watcher.next('typing', (e) => !e.typing)).toMatchObject({ userId: leaving.id });

    await send(socketOf(hidden[1]), 'typing', { channelId: f.channelId, typing: true });
    expect(await watcher.next('typing', (e) => e.typing && e.userId === hidden[1].id)).toMatchObject({
      channelId: f.channelId,
    });
    expect(watcher.all('typing', (e) => e.userId === hidden[0].id)).toEqual([]);
    for (const t of typists) await send(socketOf(t), 'typing', { channelId: f.channelId, typing: false });
  });
});

describe('a big channel in single-process mode (in-memory adapter)', () => {
  let auth: Running & { jwksUrl: string };
  let gateway: Running;
  let f: Fixture;

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    gateway = await startGateway(auth, { REDIS_URL: '', SOCKET_BROADCAST_SLICE: String(SLICE) });
    f = await bigChannel(auth, [gateway]);
  }, 60_000);

  afterAll(async () => {
    for (const s of f?.sockets ?? []) s.close();
    await gateway?.close();
    await auth?.close();
    await closeSql();
  });

  it('delivers a burst of messages to every socket once, in order, written in slices', async () => {
    await burstIsDeliveredInSlices(f, [gateway]);
  }, 60_000);
});
