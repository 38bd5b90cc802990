import type { Channel, Message, Notification, SendMessagePayload } from '@chat/contracts';
import { ApiError } from '../api/errors';
import { alice, bob, channel, deferred, member, msg, range } from '../testing/fixtures';
import { forChannel, forThread } from './outbox';
import type { RealtimePort, RestPort } from './ports';
import { ChatStore } from './store';

/**
 * A fake server holding one channel's messages: REST history pages and channel:sync answer from
 * it; message:send stores with clientId idempotency, like the real one.
 */
function fakeServer(initial: Message[] = []) {
  const messages = [...initial];
  const synced: number[] = [];
  const sent: SendMessagePayload[] = [];
  let connected = true;
  /** Who the server says is online (member lists and presence:subscribe answers alike). */
  const online = new Set<string>([bob.id]);
  const channels: Channel[] = [
    channel({ id: 'c1', lastSeq: initial.length }),
    channel({ id: 'c2', name: 'random' }),
  ];
  const add = (m: Message) => {
    messages.push(m);
    channels[0] = { ...channels[0], lastSeq: m.seq };
    return m;
  };
  const rest: RestPort = {
    channels: () => Promise.resolve(channels.map((c) => ({ ...c }))),
    publicChannels: () => Promise.resolve([]),
    createChannel: () => Promise.reject(new Error('unused')),
    join: () => Promise.reject(new Error('unused')),
    leave: () => Promise.resolve(null),
    members: () =>
      Promise.resolve([member(alice, { role: 'owner' }), member(bob, { online: online.has(bob.id) })]),
    addMember: () => Promise.reject(new Error('unused')),
    removeMember: () => Promise.resolve(null),
    openDm: () => Promise.reject(new Error('unused')),
    searchUsers: () => Promise.resolve([]),
    history: (channelId, opts = {}) => {
      const limit = opts.limit ?? 50;
      let list = messages.filter((m) => m.channelId === channelId);
      if (opts.before) list = list.filter((m) => m.seq < opts.before!);
      const page = list.slice(-limit);
      return Promise.resolve({ messages: page, hasMore: list.length > page.length });
    },
    around: (channelId, seq) => {
      const list = messages.filter((m) => m.channelId === channelId && Math.abs(m.seq - seq) <= 25);
      return Promise.resolve({ messages: list, hasMore: false, hasMoreBefore: (list[0]?.seq ?? 1) > 1 });
    },
    replies: (rootId) =>
      Promise.resolve({ messages: messages.filter((m) => m.threadId === rootId), hasMore: false }),
    myThreads: () => Promise.resolve({ threads: [], unreadThreads: 0, hasMore: false, next: null }),
    setPreferences: (channelId, prefs) => {
      const i = channels.findIndex((c) => c.id === channelId);
      if (i < 0) return Promise.reject(new ApiError('NOT_FOUND', 'No such channel'));
      channels[i] = { ...channels[i], ...prefs };
      return Promise.resolve({ ...channels[i] });
    },
  };
  const rt: RealtimePort & {
    typingSent: [string, boolean][];
    reads: [string, number][];
    follows: string[][];
    reactions: [string, string, boolean][];
  } = {
    get connected() {
      return connected;
    },
    typingSent: [],
    reads: [],
    follows: [],
    reactions: [],
    followPresence: (userIds) => {
      if (!connected) return Promise.reject(new ApiError('UNAVAILABLE', 'Not connected'));
      rt.follows.push(userIds);
      return Promise.resolve(userIds.filter((id) => online.has(id)));
    },
    send: (p) => {
      sent.push(p);
      if (!connected) return Promise.reject(new ApiError('UNAVAILABLE', 'Not connected'));
      const dup = messages.find((m) => m.clientId === p.clientId && m.author.id === alice.id);
      if (dup) return Promise.resolve(dup);
      return Promise.resolve(
        add(
          msg(messages.length + 1, {
            body: p.body,
            clientId: p.clientId ?? null,
            author: { id: alice.id, username: 'alice', bot: false },
          }),
        ),
      );
    },
    edit: (id, body) => {
      const m = messages.find((x) => x.id === id)!;
      return Promise.resolve({ ...m, body, editedAt: new Date().toISOString() });
    },
    remove: () => Promise.resolve(),
    sync: (channelId, afterSeq, limit = 100) => {
      synced.push(afterSeq);
      const list = messages.filter((m) => m.channelId === channelId && m.seq > afterSeq);
      return Promise.resolve({ messages: list.slice(0, limit), hasMore: list.length > limit });
    },
    read: (channelId, seq) => {
      rt.reads.push([channelId, seq]);
      return Promise.resolve();
    },
    typing: (c, t) => rt.typingSent.push([c, t]),
    readThread: () => Promise.resolve(),
    react: (messageId, emoji, add) => {
      rt.reactions.push([messageId, emoji, add]);
      return Promise.resolve();
    },
  };
  return {
    rest,
    rt,
    messages,
    synced,
    sent,
    add,
    online,
    setConnected: (v: boolean) => (connected = v),
  };
}

function makeStore(server: ReturnType<typeof fakeServer>, opts: { visible?: boolean } = {}) {
  let saved: unknown = null;
  const store = new ChatStore({
    me: alice,
    rest: server.rest,
    rt: server.rt,
    isVisible: () => opts.visible ?? true,
    outboxStorage: { load: () => [], save: (b) => (saved = b) },
  });
  return { store, saved: () => saved };
}

const flushMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 0));

const seqsOf = (store: ChatStore, id = 'c1') => store.getState().timelines[id]?.messages.map((m) => m.seq);

describe('conversation state', () => {
  it('opens a channel on its newest page, and loads older pages on demand', async () => {
    const server = fakeServer(range(1, 120));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    expect(seqsOf(store)).toEqual(range(71, 120).map((m) => m.seq));
    expect(store.getState().timelines.c1.hasOlder).toBe(true);
    await store.loadOlder('c1');
    await store.loadOlder('c1');
    expect(seqsOf(store)).toEqual(range(1, 120).map((m) => m.seq));
    expect(store.getState().timelines.c1.hasOlder).toBe(false);
  });

  it('does not lose a push that arrives while the first page is loading', async () => {
    const server = fakeServer(range(1, 3));
    const gate = deferred<void>();
    const history = server.rest.history;
    server.rest.history = async (...args) => {
      const page = await history(...args);
      await gate.promise;
      return page;
    };
    const { store } = makeStore(server);
    await store.loadChannels();
    const opening = store.select('c1');
    await Promise.resolve();
    store.events['message:new'](server.add(msg(4)));
    gate.resolve();
    await opening;
    expect(seqsOf(store)).toEqual([1, 2, 3, 4]);
  });

  it('catches up from the last seq after a reconnect: no gaps, no duplicates', async () => {
    const server = fakeServer(range(1, 5));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    // Offline while others write 6..8; the live push of 8 races the catch-up.
    server.setConnected(false);
    for (let s = 6; s <= 8; s++) server.add(msg(s));
    server.setConnected(true);
    store.events['message:new'](msg(8));
    await store.onConnected();
    expect(server.synced[0]).toBe(5);
    expect(seqsOf(store)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('picks up edits and deletions made while disconnected', async () => {
    const server = fakeServer(range(1, 3));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    // While offline: message 2 edited, message 3 deleted (sync after seq 3 returns neither).
    server.messages[1] = {
      ...server.messages[1],
      body: 'edited offline',
      editedAt: '2025-03-01T00:00:00.000Z',
    };
    server.messages[2] = { ...server.messages[2], body: '', deleted: true };
    await store.onConnected();
    await new Promise((r) => setTimeout(r, 0));
    const [, two, three] = store.getState().timelines.c1.messages;
    expect(two.body).toBe('edited offline');
    expect(three.deleted).toBe(true);
  });

  it('pages through a long catch-up', async () => {
    const server = fakeServer(range(1, 5));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    // Opening a channel syncs once after its first page (to learn the server's syncedAt).
    await store.catchUp('c1');
    server.synced.length = 0;
    for (let s = 6; s <= 260; s++) server.add(msg(s));
    await store.onConnected();
    expect(server.synced).toEqual([5, 105, 205]);
    expect(seqsOf(store)).toHaveLength(260);
  });

  it('notices a gap in live pushes and fills it', async () => {
    const server = fakeServer(range(1, 5));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    server.add(msg(6));
    server.add(msg(7));
    store.events['message:new'](server.add(msg(8))); // 6 and 7 never arrived
    await store.catchUp('c1');
    expect(server.synced).toContain(5);
    expect(seqsOf(store)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('applies live edits and deletions', async () => {
    const server = fakeServer(range(1, 3));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    store.events['message:updated']({ ...msg(2), body: 'edited', editedAt: '2025-02-01T00:00:00.000Z' });
    store.events['message:deleted']({ id: msg(3).id, channelId: 'c1', seq: 3 });
    const [, two, three] = store.getState().timelines.c1.messages;
    expect(two).toMatchObject({ body: 'edited' });
    expect(three).toMatchObject({ deleted: true, body: '' });
  });
});

describe('sending and the offline queue', () => {
  it('shows a message as pending while offline and sends it once when back', async () => {
    const server = fakeServer(range(1, 2));
    const { store, saved } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    server.setConnected(false);
    store.send('c1', '  hello from the train  ');
    await store.flush();
    const pending = forChannel(store.getState().outbox, 'c1');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ body: 'hello from the train', status: 'queued' });
    expect(saved()).toHaveLength(1); // survives a reload
    const clientId = pending[0].clientId;

    server.setConnected(true);
    // The server also pushes our message to us; the ack and the push must not make two.
    const push = server.rt.send;
    server.rt.send = async (p) => {
      const m = await push(p);
      store.events['message:new'](m);
      return m;
    };
    await store.onConnected();
    expect(store.getState().outbox).toEqual([]);
    const mine = store.getState().timelines.c1.messages.filter((m) => m.clientId === clientId);
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toBe('hello from the train');
  });

  it('keeps the order messages were written in', async () => {
    const server = fakeServer();
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    server.setConnected(false);
    store.send('c1', 'one');
    store.send('c1', 'two');
    store.send('c1', 'three');
    server.setConnected(true);
    await store.onConnected();
    expect(store.getState().timelines.c1.messages.map((m) => m.body)).toEqual(['one', 'two', 'three']);
  });

  it('resends with the same clientId after a lost ack, so nothing is doubled', async () => {
    const server = fakeServer();
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    const send = server.rt.send;
    let first = true;
    server.rt.send = async (p) => {
      const m = await send(p); // stored on the server...
      if (first) {
        first = false;
        throw new ApiError('UNAVAILABLE', 'The server did not answer in time'); // ...but the ack was lost
      }
      return m;
    };
    store.send('c1', 'only once');
    await store.flush();
    expect(store.getState().outbox[0]).toMatchObject({ status: 'queued' });
    await store.flush();
    expect(server.sent.map((p) => p.clientId)).toEqual([server.sent[0].clientId, server.sent[0].clientId]);
    expect(server.messages.filter((m) => m.body === 'only once')).toHaveLength(1);
    expect(store.getState().timelines.c1.messages.filter((m) => m.body === 'only once')).toHaveLength(1);
  });

  it('keeps a refused message for the user to retry or discard', async () => {
    const server = fakeServer();
    const { store } = makeStore(server);
    await store.loadChannels();
    server.rt.send = () => Promise.reject(new ApiError('FORBIDDEN', 'You are not a member of this channel'));
    store.send('c1', 'hi');
    await store.flush();
    expect(store.getState().outbox[0]).toMatchObject({
      status: 'failed',
      error: 'You are not a member of this channel',
    });
    store.discard(store.getState().outbox[0].clientId);
    expect(store.getState().outbox).toEqual([]);
  });

  it('sends typing true while typing and false on send', async () => {
    const server = fakeServer();
    const { store } = makeStore(server);
    await store.loadChannels();
    store.typingSender.input('c1');
    store.send('c1', 'done');
    expect(server.rt.typingSent).toEqual([
      ['c1', true],
      ['c1', false],
    ]);
  });
});

describe('unread counts and presence', () => {
  it('counts pushes in other channels and marks the open one read', async () => {
    const server = fakeServer(range(1, 2));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    store.events['message:new'](msg(1, { channelId: 'c2', id: 'x1' }));
    store.events['message:new'](msg(1, { channelId: 'c2', id: 'x1' }));
    store.events['message:new'](server.add(msg(3)));
    const byId = Object.fromEntries(store.getState().channels.map((c) => [c.id, c.unreadCount]));
    expect(byId).toEqual({ c1: 0, c2: 1 });
    expect(server.rt.reads.at(-1)).toEqual(['c1', 3]);
  });

  it('does not mark read while the tab is hidden', async () => {
    const server = fakeServer(range(1, 2));
    const { store } = makeStore(server, { visible: false });
    await store.loadChannels();
    await store.select('c1');
    store.events['message:new'](server.add(msg(3)));
    expect(store.getState().channels.find((c) => c.id === 'c1')?.unreadCount).toBe(1);
    expect(server.rt.reads).toEqual([]);
  });

  it('follows presence events over the member list', async () => {
    const server = fakeServer();
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    expect(store.getState().presence[bob.id]).toBe(true);
    store.events.presence({ userId: bob.id, username: 'bob', online: false });
    expect(store.getState().presence[bob.id]).toBe(false);
  });

  it('follows the presence of the users it shows, once per change and again after a reconnect', async () => {
    const server = fakeServer();
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    await flushMicrotasks();
    // The open channel's members, never the caller: one subscribe for the whole change.
    expect(server.rt.follows).toEqual([[bob.id]]);
    server.online.delete(bob.id);
    store.events.typing({ channelId: 'c1', userId: bob.id, username: 'bob', typing: true });
    await flushMicrotasks();
    expect(server.rt.follows).toHaveLength(1);
    await store.select('c2');
    await flushMicrotasks();
    expect(server.rt.follows).toHaveLength(1);
    // A new connection follows nobody: the set goes again, and its answer is the presence shown.
    await store.onConnected();
    await flushMicrotasks();
    expect(server.rt.follows).toEqual([[bob.id], [bob.id]]);
    expect(store.getState().presence[bob.id]).toBe(false);
  });

  it('changes only the slice an event is about, and nothing for a copy of what it holds', async () => {
    const server = fakeServer(range(1, 2));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    const before = store.getState();
    store.events.typing({ channelId: 'c1', userId: bob.id, username: 'bob', typing: true });
    store.events.presence({ userId: bob.id, username: 'bob', online: false });
    const after = store.getState();
    expect(after.typing).not.toBe(before.typing);
    expect(after.presence).not.toBe(before.presence);
    for (const key of ['channels', 'timelines', 'outbox', 'members', 'me', 'connection'] as const) {
      expect(after[key]).toBe(before[key]);
    }
    // A pushed copy of the channel as we hold it: the same snapshot, so nothing re-renders.
    const held = after.channels.find((c) => c.id === 'c1')!;
    store.events['channel:updated']({ ...held });
    expect(store.getState()).toBe(after);
  });

  it('keeps a channel joined while the channel list was being reloaded', async () => {
    const server = fakeServer();
    const { store } = makeStore(server);
    await store.loadChannels();
    const gate = deferred<void>();
    const list = server.rest.channels;
    server.rest.channels = async () => {
      const answer = await list();
      await gate.promise;
      return answer;
    };
    const reload = store.loadChannels();
    await store.adopt(channel({ id: 'c3', name: 'new-one' }));
    store.events['channel:left']({ channelId: 'c2' });
    gate.resolve();
    await reload;
    expect(
      store
        .getState()
        .channels.map((c) => c.id)
        .sort(),
    ).toEqual(['c1', 'c3']);
    expect(store.getState().activeId).toBe('c3');
  });

  it('asks the channel list before dropping a channel whose history answered NOT_FOUND', async () => {
    const server = fakeServer(range(1, 2));
    const { store } = makeStore(server);
    await store.loadChannels();
    server.rest.history = () => Promise.reject(new ApiError('NOT_FOUND', 'Channel not found', 404));
    await store.select('c1');
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().channels.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(store.getState().activeId).toBe('c1');
    expect(store.getState().historyError.c1).toBe('Channel not found');
  });

  it('drops a channel we were removed from', async () => {
    const server = fakeServer(range(1, 2));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    store.events['channel:left']({ channelId: 'c1' });
    expect(store.getState().activeId).toBeNull();
    expect(store.getState().channels.map((c) => c.id)).toEqual(['c2']);
    expect(store.getState().toasts[0].text).toMatch(/no longer a member of #general/);
  });
});

describe('threads, reactions, mentions and catch-up of changes', () => {
  it('raises the mention badge for a mention in a channel not on screen, and clears it on reading', async () => {
    const server = fakeServer(range(1, 3));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c2');
    store.events['message:new'](server.add(msg(4, { mentions: { userIds: [alice.id], channel: false } })));
    store.events['message:new'](server.add(msg(5)));
    store.events['message:new'](server.add(msg(6, { mentions: { userIds: [], channel: true } })));
    const c1 = () => store.getState().channels.find((c) => c.id === 'c1')!;
    expect(c1()).toMatchObject({ unreadCount: 3, mentionCount: 2 });
    await store.select('c1');
    expect(c1()).toMatchObject({ unreadCount: 0, mentionCount: 0 });
  });

  it('routes a reply to the open thread and bumps its root’s count from message:updated', async () => {
    const server = fakeServer(range(1, 3));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    const root = msg(2);
    await store.openThread(root);
    expect(store.getState().thread).toMatchObject({ rootId: root.id, root: { id: root.id } });
    const reply = server.add(msg(4, { threadId: root.id }));
    store.events['message:new'](reply);
    store.events['message:updated']({ ...root, replyCount: 1, lastReplyAt: reply.createdAt });
    const s = store.getState();
    expect(s.thread?.replies.messages.map((m) => m.id)).toEqual([reply.id]);
    expect(s.thread?.root?.replyCount).toBe(1);
    // The channel's timeline holds it (its seq keeps catch-up whole) and the root's new count.
    expect(s.timelines.c1.messages.find((m) => m.id === root.id)?.replyCount).toBe(1);
    expect(seqsOf(store)).toEqual([1, 2, 3, 4]);
  });

  it('sends a thread reply with its threadId, kept out of the channel’s pending list', async () => {
    const server = fakeServer(range(1, 3));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    await store.openThread(msg(1));
    server.setConnected(false);
    store.sendReply('in the thread');
    await store.flush();
    expect(forChannel(store.getState().outbox, 'c1')).toEqual([]);
    expect(forThread(store.getState().outbox, msg(1).id)).toHaveLength(1);
    server.setConnected(true);
    await store.flush();
    expect(server.sent.at(-1)).toMatchObject({ threadId: msg(1).id, body: 'in the thread' });
  });

  it('toggles a reaction at once, and puts it back when the server refuses', async () => {
    const server = fakeServer(range(1, 2));
    const { store } = makeStore(server);
    await store.loadChannels();
    await store.select('c1');
    const m = store.getState().timelines.c1.messages[0];
    await store.toggleReaction(m, '👍');
    expect(server.rt.reactions).toEqual([[m.id, '👍', true]]);
    expect(store.getState().timelines.c1.messages[0].reactions).toEqual([
      { emoji: '👍', userIds: [alice.id] },
    ]);
    // A second click removes it.
    await store.toggleReaction(store.getState().timelines.c1.messages[0], '👍');
    expect(server.rt.reactions.at(-1)).toEqual([m.id, '👍', false]);
    expect(store.getState().timelines.c1.messages[0].reactions).toEqual([]);

    server.rt.react = () => Promise.reject(new ApiError('VALIDATION', 'too many'));
    await store.toggleReaction(store.getState().timelines.c1.messages[0], '🎉');
    expect(store.getState().timelines.c1.messages[0].reactions).toEqual([]);
    expect(store.getState().toasts.at(-1)?.text).toMatch(/Could not add the reaction/);
  });

  it('applies what changed while away from channel:sync’s changes, without re-reading pages', async () => {
    const server = fakeServer(range(1, 3));
    const { store } = makeStore(server);
    const pages: number[] = [];
    const history = server.rest.history;
    server.rest.history = (...args) => {
      pages.push(1);
      return history(...args);
    };
    const sync = server.rt.sync;
    let since: string | undefined;
    server.rt.sync = async (channelId, afterSeq, limit, changedSince) => {
      since = changedSince;
      const page = await sync(channelId, afterSeq, limit);
      const changes = changedSince
        ? [{ ...msg(2), pinned: true, reactions: [{ emoji: '👍', userIds: [bob.id] }] }]
        : [];
      return { ...page, changes, changesHasMore: false, syncedAt: '2026-12-06T00:00:00.000Z' };
    };
    await store.loadChannels();
    await store.select('c1');
    await store.catchUp('c1');
    pages.length = 0;
    await store.onConnected();
    expect(since).toBe('2026-12-06T00:00:00.000Z');
    expect(store.getState().timelines.c1.messages[1]).toMatchObject({
      pinned: true,
      reactions: [{ emoji: '👍' }],
    });
    await flushMicrotasks();
    expect(pages).toEqual([]);
  });

  it('ignores a change to a message it does not hold (no hole in the timeline)', async () => {
    const server = fakeServer(range(1, 120));
    const { store } = makeStore(server);
    const sync = server.rt.sync;
    server.rt.sync = async (channelId, afterSeq, limit, changedSince) => ({
      ...(await sync(channelId, afterSeq, limit)),
      changes: changedSince ? [{ ...msg(5), body: 'old, edited', editedAt: '2026-01-01T00:00:00.000Z' }] : [],
      changesHasMore: false,
      syncedAt: '2026-12-06T00:00:00.000Z',
    });
    await store.loadChannels();
    await store.select('c1');
    await store.catchUp('c1');
    const before = seqsOf(store);
    await store.onConnected();
    expect(seqsOf(store)).toEqual(before);
    expect(before?.[0]).toBeGreaterThan(5);
  });

  it('opens a permalink around a message it does not hold', async () => {
    const server = fakeServer(range(1, 300));
    const { store } = makeStore(server);
    await store.loadChannels();
    expect(await store.openAt('c1', 40)).toBe(true);
    await store.catchUp('c1');
    const seqs = seqsOf(store);
    expect(seqs).toContain(40);
    // Catch-up filled everything after it, so the timeline has no hole.
    expect(seqs[seqs.length - 1]).toBe(300);
    expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1)).toBe(true);
  });
});

describe('notifications', () => {
  const note = (over: Partial<Notification> = {}): Notification => ({
    kind: 'mention',
    channelId: 'c2',
    messageId: 'm-c2-3',
    seq: 3,
    title: 'bob in #random',
    body: '@alice look',
    ...over,
  });

  function setup(visible: { now: boolean }) {
    const server = fakeServer(range(1, 3));
    const shown: Notification[] = [];
    const store = new ChatStore({
      me: alice,
      rest: server.rest,
      rt: server.rt,
      isVisible: () => visible.now,
      notifier: { system: (n) => shown.push(n) },
      outboxStorage: { load: () => [], save: () => undefined },
    });
    return { server, store, shown };
  }

  it('shows a system notification while the page is hidden, and no toast', async () => {
    const { store, shown } = setup({ now: false });
    await store.loadChannels();
    await store.select('c1');
    store.events.notification(note());
    expect(shown).toEqual([note()]);
    expect(store.getState().toasts).toEqual([]);
  });

  it('toasts while visible, one per channel (the newest), linking to the message', async () => {
    const { store, shown } = setup({ now: true });
    await store.loadChannels();
    await store.select('c1');
    store.events.notification(note());
    store.events.notification(note({ seq: 4, messageId: 'm-c2-4', body: '@alice again' }));
    expect(shown).toEqual([]);
    expect(store.getState().toasts).toEqual([
      expect.objectContaining({
        kind: 'message',
        label: 'Mention',
        text: 'bob in #random: @alice again',
        link: { channelId: 'c2', seq: 4 },
      }),
    ]);
  });

  it('stays quiet for the channel being read at its newest message, but not when scrolled up', async () => {
    const { store } = setup({ now: true });
    await store.loadChannels();
    await store.select('c2');
    store.events.notification(note());
    expect(store.getState().toasts).toEqual([]);
    store.setScrolledUp('c2', true);
    store.events.notification(note({ seq: 4 }));
    expect(store.getState().toasts).toHaveLength(1);
  });

  it('drops what the channel level or mute no longer allows, and unknown channels', async () => {
    const { store, shown } = setup({ now: false });
    await store.loadChannels();
    await store.setPreferences('c2', { notify: 'mentions' });
    store.events.notification(note({ kind: 'message' }));
    await store.setPreferences('c2', { muted: true, notify: 'all' });
    store.events.notification(note());
    store.events.notification(note({ channelId: 'nope' }));
    expect(shown).toEqual([]);
  });

  it('changes the level at once, keeps the server answer, and puts it back when refused', async () => {
    const { server, store } = setup({ now: true });
    await store.loadChannels();
    const pending = store.setPreferences('c2', { notify: 'all' });
    expect(store.getState().channels.find((c) => c.id === 'c2')?.notify).toBe('all');
    expect(await pending).toBe(true);
    server.rest.setPreferences = () => Promise.reject(new ApiError('FORBIDDEN', 'No'));
    expect(await store.setPreferences('c2', { muted: true })).toBe(false);
    const c2 = store.getState().channels.find((c) => c.id === 'c2');
    expect(c2).toMatchObject({ notify: 'all', muted: false });
    expect(store.getState().toasts.map((t) => t.text)).toEqual([
      'Could not change notifications for #random: No',
    ]);
  });

  it('keeps a quick second change when the first one is answered after it was made', async () => {
    const { server, store } = setup({ now: true });
    await store.loadChannels();
    const level = () => store.getState().channels.find((c) => c.id === 'c2')!;
    const start = { notify: level().notify, muted: level().muted };
    const answers: ((c: Channel) => void)[] = [];
    server.rest.setPreferences = () => new Promise<Channel>((resolve) => answers.push(resolve));
    const mute = store.setPreferences('c2', { muted: true });
    const all = store.setPreferences('c2', { notify: 'all' });
    expect(level()).toMatchObject({ notify: 'all', muted: true });
    // The mute's answer carries the level from before the second click, and so does its push.
    answers[0]({ ...level(), notify: start.notify, muted: true });
    await mute;
    store.channelUpdated({ ...level(), notify: start.notify, muted: true, name: 'renamed' });
    expect(level()).toMatchObject({ notify: 'all', muted: true, name: 'renamed' });
    answers[1]({ ...level(), notify: 'all', muted: true });
    await all;
    expect(level()).toMatchObject({ notify: 'all', muted: true });
    // Nothing pending any more: a push from another tab is taken again.
    store.channelUpdated({ ...level(), notify: 'none', muted: false });
    expect(level()).toMatchObject({ notify: 'none', muted: false });
  });

  it('takes the level and mute from channel:updated, but not its counters', async () => {
    const { store } = setup({ now: true });
    await store.loadChannels();
    const cur = store.getState().channels.find((c) => c.id === 'c2')!;
    store.channelUpdated({ ...cur, notify: 'none', muted: true, unreadCount: 99, mentionCount: 9 });
    expect(store.getState().channels.find((c) => c.id === 'c2')).toMatchObject({
      notify: 'none',
      muted: true,
      unreadCount: cur.unreadCount,
      mentionCount: cur.mentionCount,
    });
  });

  it('takes archival from channel:updated, and its undoing', async () => {
    const { store } = setup({ now: true });
    await store.loadChannels();
    const cur = store.getState().channels.find((c) => c.id === 'c2')!;
    const at = '2026-12-06T12:00:00.000Z';
    store.channelUpdated({ ...cur, archivedAt: at });
    expect(store.getState().channels.find((c) => c.id === 'c2')?.archivedAt).toBe(at);
    store.channelUpdated({ ...cur, archivedAt: null });
    expect(store.getState().channels.find((c) => c.id === 'c2')?.archivedAt).toBeNull();
  });
});
