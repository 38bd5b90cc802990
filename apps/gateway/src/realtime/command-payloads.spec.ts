import { randomUUID } from 'node:crypto';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  DeleteMessageCommand,
  EditMessageCommand,
  PresenceSubscribeCommand,
  ReactionCommand,
  ReadChannelCommand,
  SendMessageCommand,
  SyncChannelCommand,
  TypingCommand,
} from '@chat/contracts/dto';
import { AppError, validatePayload } from '@chat/platform';
import { acceptorFor } from '@chat/platform/http/accepts';

const id = randomUUID();
const upper = randomUUID().toUpperCase();
const long = (n: number) => 'x'.repeat(n);

/** Payloads a client may send, well-formed or not, per command class. */
const cases: [ClassConstructor<object>, unknown[]][] = [
  [
    PresenceSubscribeCommand,
    [
      { userIds: [] },
      { userIds: [id, upper, id] },
      { userIds: Array.from({ length: 1000 }, () => randomUUID()) },
      { userIds: Array.from({ length: 1001 }, () => randomUUID()) },
      { userIds: [id, 'not-a-uuid'] },
      { userIds: [id, 7] },
      { userIds: id },
      { userIds: null },
      {},
      { userIds: [id], extra: 1 },
      { userIds: [[id]] },
      { userIds: { 0: id, length: 1 } },
    ],
  ],
  [
    SendMessageCommand,
    [
      { channelId: id, body: 'hi' },
      { channelId: upper, body: '  hi  ', clientId: 'c-1', attachmentIds: [id], threadId: id },
      { channelId: id, body: '   ' },
      { channelId: id, body: long(4000) },
      { channelId: id, body: long(4001) },
      { channelId: id, body: 'hi', clientId: '' },
      { channelId: id, body: 'hi', clientId: long(65) },
      { channelId: id, body: 'hi', attachmentIds: [id, id] },
      { channelId: id, body: 'hi', attachmentIds: Array.from({ length: 11 }, () => randomUUID()) },
      { channelId: id, body: 'hi', threadId: null },
      { channelId: 'general', body: 'hi' },
      { channelId: id, body: 42 },
      { channelId: id, body: 'hi', authorId: id },
      { channelId: id, body: 'hi', constructor: 'x' },
      { channelId: id, body: 'hi', __proto__: { admin: true } },
    ],
  ],
  [
    TypingCommand,
    [
      { channelId: id, typing: true },
      { channelId: id, typing: false },
      { channelId: id, typing: 'true' },
      { channelId: id, typing: 1 },
      { channelId: id },
      { typing: true },
    ],
  ],
  [
    ReadChannelCommand,
    [
      { channelId: id, seq: 0 },
      { channelId: id, seq: 42 },
      { channelId: id, seq: Number.MAX_SAFE_INTEGER },
      { channelId: id, seq: Number.MAX_SAFE_INTEGER + 2 },
      { channelId: id, seq: -1 },
      { channelId: id, seq: 1.5 },
      { channelId: id, seq: '3' },
      { channelId: id, seq: NaN },
    ],
  ],
  [
    SyncChannelCommand,
    [
      { channelId: id, afterSeq: 0 },
      { channelId: id, afterSeq: 3, limit: 100, changedSince: '2026-01-02T03:04:05.678Z' },
      { channelId: id, afterSeq: 3, limit: 101 },
      { channelId: id, afterSeq: 3, limit: 0 },
      { channelId: id, afterSeq: 3, changedSince: 'yesterday' },
      { channelId: id, afterSeq: 3, changedSince: long(41) },
      { channelId: id, afterSeq: 3, limit: null },
    ],
  ],
  [
    ReactionCommand,
    [
      { messageId: id, emoji: '👍' },
      { messageId: id, emoji: ':thumbs_up:' },
      { messageId: id, emoji: '👍👍' },
      { messageId: id, emoji: ':Thumbs Up:' },
      { messageId: id, emoji: 3 },
    ],
  ],
  [EditMessageCommand, [{ messageId: id, body: 'edited' }, { messageId: id, body: '' }, { messageId: id }]],
  [DeleteMessageCommand, [{ messageId: id }, { messageId: upper }, { messageId: `${id}x` }, { id }]],
];

/** What class-validator alone answers, with the options validatePayload uses. */
function classValidatorAccepts(cls: ClassConstructor<object>, payload: unknown): boolean {
  const options = {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
  };
  return validateSync(plainToInstance(cls, payload), options).length === 0;
}

function outcome(cls: ClassConstructor<object>, payload: unknown): string {
  try {
    return `ok ${JSON.stringify(validatePayload(cls, payload))}`;
  } catch (err) {
    return err instanceof AppError ? `${err.code}: ${err.message}` : `not an AppError: ${String(err)}`;
  }
}

describe('socket command payloads (the fast acceptance path)', () => {
  it.each(cases.map(([cls, payloads]) => [cls.name, cls, payloads] as const))(
    '%s: accepts exactly what class-validator accepts',
    (_name, cls, payloads) => {
      expect(acceptorFor(cls)).not.toBeNull();
      for (const payload of payloads) {
        const instance = plainToInstance(cls, payload);
        expect([payload, acceptorFor(cls)!(instance)]).toEqual([
          payload,
          classValidatorAccepts(cls, payload),
        ]);
      }
    },
  );

  it('answers hostile payloads with class-validator’s own VALIDATION messages', () => {
    expect(outcome(PresenceSubscribeCommand, { userIds: [id, 'nope'] })).toBe(
      'VALIDATION: userIds: each value in userIds must be a UUID',
    );
    expect(outcome(TypingCommand, { channelId: id, typing: true, admin: true })).toBe(
      'VALIDATION: admin: property admin should not exist',
    );
    expect(outcome(ReadChannelCommand, { channelId: id, seq: -1 })).toBe(
      'VALIDATION: seq must not be less than 0',
    );
    expect(outcome(SendMessageCommand, { channelId: id, body: '   ' })).toBe(
      'VALIDATION: body must be longer than or equal to 1 characters',
    );
  });

  it('still applies the payload classes’ transforms (trimmed body, lower-cased ids)', () => {
    const sent = validatePayload(SendMessageCommand, { channelId: upper, body: '  hi  ' });
    expect(sent).toMatchObject({ channelId: upper.toLowerCase(), body: 'hi' });
    expect(validatePayload(PresenceSubscribeCommand, { userIds: [upper] })).toEqual({
      userIds: [upper.toLowerCase()],
    });
  });
});
