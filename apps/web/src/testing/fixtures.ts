import type { Channel, Member, Message, User } from '@chat/contracts';

/** Builders for unit tests: contract objects with sensible defaults. */
export const alice: User = {
  id: 'u-alice',
  username: 'alice',
  roles: ['member'],
  createdAt: '2025-01-01T00:00:00.000Z',
  bot: false,
};
export const bob: User = {
  id: 'u-bob',
  username: 'bob',
  roles: ['member'],
  createdAt: '2025-01-01T00:00:00.000Z',
  bot: false,
};

export function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `m-${over.channelId ?? 'c1'}-${seq}`,
    channelId: 'c1',
    seq,
    author: { id: bob.id, username: bob.username, bot: false },
    body: `message ${seq}`,
    attachments: [],
    clientId: null,
    createdAt: new Date(Date.UTC(2025, 0, 1, 12, 0, seq)).toISOString(),
    editedAt: null,
    deleted: false,
    threadId: null,
    replyCount: 0,
    lastReplyAt: null,
    reactions: [],
    mentions: { userIds: [], channel: false },
    pinned: false,
    ...over,
  };
}

export const range = (from: number, to: number, over: Partial<Message> = {}): Message[] =>
  Array.from({ length: to - from + 1 }, (_, i) => msg(from + i, over));

export function channel(over: Partial<Channel> = {}): Channel {
  return {
    id: 'c1',
    name: 'general',
    kind: 'public',
    topic: '',
    createdBy: alice.id,
    createdAt: '2025-01-01T00:00:00.000Z',
    memberCount: 2,
    lastSeq: 0,
    unreadCount: 0,
    mentionCount: 0,
    notify: over.kind === 'dm' ? 'all' : 'mentions',
    muted: false,
    archivedAt: null,
    ...over,
  };
}

export function member(user: User, over: Partial<Member> = {}): Member {
  return {
    userId: user.id,
    username: user.username,
    role: 'member',
    online: false,
    bot: user.bot,
    joinedAt: user.createdAt,
    ...over,
  };
}

/** A promise with its resolve/reject exposed, to hold a fake call open. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
