import type { Channel, Message } from '@chat/contracts';
import {
  channelLabel,
  channelList,
  clean,
  cleanLine,
  formatClock,
  formatMessage,
  typingLine,
  unreadSummary,
} from './format';

/** 09:05 local time on the given day, as the server would send it (ISO, UTC). */
const localIso = (h: number, m: number) => new Date(2026, 11, 6, h, m, 30).toISOString();

function message(over: Partial<Message> = {}): Message {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    channelId: '00000000-0000-4000-8000-000000000002',
    seq: 1,
    author: { id: '00000000-0000-4000-8000-000000000003', username: 'alice', bot: false },
    body: 'hello',
    attachments: [],
    clientId: null,
    createdAt: localIso(9, 5),
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

function channel(over: Partial<Channel> = {}): Channel {
  return {
    id: 'c1',
    name: 'general',
    kind: 'public',
    topic: '',
    createdBy: 'u',
    createdAt: localIso(8, 0),
    memberCount: 2,
    lastSeq: 0,
    unreadCount: 0,
    mentionCount: 0,
    archivedAt: null,
    ...over,
  } as Channel;
}

describe('clean', () => {
  it('removes escape sequences, other controls and bidi overrides, keeping the text', () => {
    expect(clean('a\x1b[2Jb\x1b]0;title\x07c\x00d\x7fe\x9bf')).toBe('a[2Jb]0;titlecdef');
    expect(clean('\u202eevil\u202c \u2066x\u2069')).toBe('evil x');
  });

  it('keeps newlines and turns tabs into spaces', () => {
    expect(clean('a\n\tb')).toBe('a\n    b');
  });

  it('keeps emoji and other scripts', () => {
    expect(clean('héllo 👋🏽 日本')).toBe('héllo 👋🏽 日本');
  });
});

describe('cleanLine', () => {
  it('flattens and cuts', () => {
    expect(cleanLine('a\n b\r\nc')).toBe('a b c');
    expect(cleanLine('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('formatClock', () => {
  it('is HH:MM in local time, zero-padded', () => {
    expect(formatClock(new Date(2026, 0, 1, 9, 5))).toBe('09:05');
    expect(formatClock(new Date(2026, 0, 1, 23, 59, 59))).toBe('23:59');
    expect(formatClock(new Date(2026, 0, 1, 0, 0))).toBe('00:00');
  });

  it('does not crash on a bad time', () => {
    expect(formatClock(new Date('nonsense'))).toBe('--:--');
  });
});

describe('formatMessage', () => {
  it('shows local time, author and body', () => {
    expect(formatMessage(message())).toBe('09:05 alice: hello');
  });

  it('indents continuation lines of a multi-line body', () => {
    expect(formatMessage(message({ body: 'one\ntwo\r\nthree' }))).toBe(
      '09:05 alice: one\n        two\n        three',
    );
  });

  it('marks replies, edits and deletions', () => {
    expect(formatMessage(message({ threadId: 'root' }))).toBe('09:05 ↳ alice: hello');
    expect(formatMessage(message({ editedAt: localIso(9, 6) }))).toBe('09:05 alice: hello (edited)');
    expect(formatMessage(message({ deleted: true, body: '' }))).toBe('09:05 alice: (message deleted)');
  });

  it('lists attachments by name and size', () => {
    const file = {
      id: 'f',
      channelId: 'c',
      name: 'photo.png',
      size: 2048,
      contentType: 'image/png',
      uploadedBy: 'u',
      createdAt: '',
    };
    expect(formatMessage(message({ body: 'look', attachments: [file] }))).toBe(
      '09:05 alice: look\n        [file: photo.png (2.0 KiB)]',
    );
  });

  it('cannot be made to write escape sequences or fake lines with its author name', () => {
    const m = message({
      author: { id: 'x', username: 'eve\n10:00 bob', bot: false },
      body: 'hi\x1b[1A\x1b[2K',
    });
    expect(formatMessage(m)).toBe('09:05 eve 10:00 bob: hi[1A[2K');
  });
});

describe('channel names', () => {
  it('labels public, private and DM channels', () => {
    expect(channelLabel(channel())).toBe('#general');
    expect(channelLabel(channel({ kind: 'private', name: 'ops' }))).toBe('#ops (private)');
    expect(channelLabel(channel({ kind: 'dm', name: 'bob' }))).toBe('@bob');
  });

  it('lists channels then DMs by name, marking the open one and unread counts', () => {
    const lines = channelList(
      [
        channel({ id: 'd', kind: 'dm', name: 'bob', unreadCount: 2 }),
        channel({ id: 'r', name: 'random', topic: 'anything\ngoes' }),
        channel({ id: 'g', name: 'general' }),
      ],
      'g',
    );
    expect(lines).toEqual(['* #general', '  #random — anything goes', '  @bob (2 unread)']);
  });

  it('says what to do when there is no channel', () => {
    expect(channelList([], null)[0]).toMatch(/\/list shows public ones/);
  });
});

describe('typingLine', () => {
  it.each([
    [[], ''],
    [['bob'], 'bob is typing…'],
    [['bob', 'carol'], 'bob and carol are typing…'],
    [['a', 'b', 'c', 'd'], 'a, b, c and d are typing…'],
    [['a', 'b', 'c', 'd', 'e'], 'several people are typing…'],
  ])('%j → %j', (names, line) => {
    expect(typingLine(names)).toBe(line);
  });
});

describe('unreadSummary', () => {
  it('lists channels with unread messages, at most three, then how many more', () => {
    const cs = [
      channel({ name: 'a', unreadCount: 1 }),
      channel({ name: 'b', unreadCount: 0 }),
      channel({ name: 'bob', kind: 'dm', unreadCount: 4 }),
      channel({ name: 'c', unreadCount: 2 }),
      channel({ name: 'd', unreadCount: 9 }),
      channel({ name: 'e', unreadCount: 1 }),
    ];
    expect(unreadSummary(cs)).toBe('#a 1, @bob 4, #c 2 +2 more');
    expect(unreadSummary([channel()])).toBe('');
  });
});
