import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The hostile input catalogue: what a fuzzer or a hand-written attack sends a socket.io server.
 * `engine` frames are raw garbage or protocol violations (most end the connection, as they
 * should); `event` frames are well-framed socket.io events with hostile payloads, sent on an
 * authenticated connection, and each carries an ack id the server must answer.
 */
export interface HostileContext {
  /** A channel the attacker belongs to, and one it does not. */
  ownChannel: string;
  foreignChannel: string;
}

export type Frame = { kind: string; data: string | Buffer; ackId?: number; then?: (string | Buffer)[] };

const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const ascii = (n: number) =>
  Array.from(randomBytes(n))
    .map((b) => String.fromCharCode(32 + (b % 95)))
    .join('');

/** Raw frames that break engine.io or socket.io framing. */
export const ENGINE_FRAMES: ((ctx: HostileContext) => Frame)[] = [
  () => ({ kind: 'binary-noise', data: randomBytes(1 + Math.floor(Math.random() * 2000)) }),
  () => ({ kind: 'ascii-noise', data: ascii(1 + Math.floor(Math.random() * 500)) }),
  () => ({ kind: 'empty', data: '' }),
  () => ({ kind: 'bad-engine-type', data: '9hello' }),
  () => ({ kind: 'nul', data: '\u0000\u0000' }),
  () => ({ kind: 'engine-close', data: '1' }),
  () => ({ kind: 'engine-upgrade', data: '5' }),
  () => ({ kind: 'engine-noop', data: '6' }),
  () => ({ kind: 'unsolicited-pong', data: '3' }),
  () => ({ kind: 'ping-probe', data: '2probe' }),
  () => ({ kind: 'bad-socketio-type', data: '49' }),
  () => ({ kind: 'socketio-garbage', data: '4' + ascii(200) }),
  () => ({ kind: 'truncated-json', data: '42["message:send",{"channelId":"' }),
  () => ({ kind: 'json-object-not-array', data: '42{"event":"message:send"}' }),
  () => ({ kind: 'connect-unknown-namespace', data: '40/admin,' }),
  () => ({ kind: 'connect-traversal-namespace', data: '40/../..,{}' }),
  () => ({ kind: 'connect-bad-auth', data: '40' + JSON.stringify({ token: { $ne: null } }) }),
  () => ({ kind: 'connect-huge-token', data: '40' + JSON.stringify({ token: 'A'.repeat(60_000) }) }),
  () => ({ kind: 'connect-array-auth', data: '40[1,2,3]' }),
  () => ({ kind: 'ack-for-nothing', data: '43999["x"]' }),
  () => ({ kind: 'client-connect-error', data: '44{"message":"x"}' }),
  () => ({ kind: 'binary-ack-for-nothing', data: '461-999[{"_placeholder":true,"num":0}]' }),
  () => ({ kind: 'negative-attachments', data: '45-1-["message:send",{}]' }),
  () => ({
    kind: 'absurd-attachments',
    data: '4599999999999-["message:send",{"_placeholder":true,"num":0}]',
  }),
  () => ({ kind: 'oversized-frame', data: '42["message:send","' + 'x'.repeat(70_000) + '"]' }),
  () => ({ kind: 'event-before-connect', data: '420["message:send",{}]' }),
];

/** Well-framed events with hostile payloads (each with an ack id). */
export const EVENT_FRAMES: ((ctx: HostileContext, ackId: number) => Frame)[] = [
  (c, id) => ev('wrong-types', id, ['message:send', { channelId: 123, body: {} }]),
  (c, id) => ev('null-payload', id, ['message:send', null]),
  (c, id) => ev('no-payload', id, ['message:send']),
  (c, id) => ev('string-payload', id, ['message:send', 'hello']),
  (c, id) => ev('array-payload', id, ['channel:sync', [c.ownChannel, 0]]),
  (c, id) =>
    ev('extra-args', id, ['message:send', { channelId: c.ownChannel, body: 'x' }, 'extra', { more: 1 }]),
  (c, id) => ev('malformed-id', id, ['message:send', { channelId: "' OR 1=1 --", body: 'x' }]),
  (c, id) => ev('traversal-id', id, ['channel:sync', { channelId: '../../etc/passwd', afterSeq: 0 }]),
  (c, id) => ev('foreign-channel', id, ['message:send', { channelId: c.foreignChannel, body: 'let me in' }]),
  (c, id) => ev('random-channel', id, ['channel:sync', { channelId: randomUUID(), afterSeq: 0 }]),
  (c, id) => ev('body-too-long', id, ['message:send', { channelId: c.ownChannel, body: 'x'.repeat(4001) }]),
  (c, id) => ev('body-whitespace', id, ['message:send', { channelId: c.ownChannel, body: ' \n\t ' }]),
  (c, id) => ev('huge-string', id, ['message:send', { channelId: c.ownChannel, body: 'y'.repeat(60_000) }]),
  (c, id) =>
    ev('client-id-too-long', id, [
      'message:send',
      { channelId: c.ownChannel, body: 'x', clientId: 'c'.repeat(65) },
    ]),
  (c, id) =>
    ev('many-attachments', id, [
      'message:send',
      { channelId: c.ownChannel, body: 'x', attachmentIds: Array.from({ length: 1500 }, () => randomUUID()) },
    ]),
  (c, id) =>
    ev('attachment-types', id, [
      'message:send',
      { channelId: c.ownChannel, body: 'x', attachmentIds: [{}, 1, null] },
    ]),
  (c, id) => ev('negative-seq', id, ['channel:sync', { channelId: c.ownChannel, afterSeq: -1 }]),
  (c, id) => ev('huge-seq', id, ['channel:sync', { channelId: c.ownChannel, afterSeq: 1e308 }]),
  (c, id) => ev('string-seq', id, ['channel:sync', { channelId: c.ownChannel, afterSeq: '0' }]),
  (c, id) => ev('huge-limit', id, ['channel:sync', { channelId: c.ownChannel, afterSeq: 0, limit: 1e9 }]),
  (c, id) => ev('float-limit', id, ['channel:sync', { channelId: c.ownChannel, afterSeq: 0.5, limit: 2.5 }]),
  (c, id) => ev('read-null-seq', id, ['channel:read', { channelId: c.ownChannel, seq: null }]),
  (c, id) => ev('typing-not-bool', id, ['typing', { channelId: c.ownChannel, typing: 'yes' }]),
  (c, id) => ev('edit-empty', id, ['message:edit', { messageId: randomUUID(), body: '' }]),
  (c, id) => ev('delete-malformed', id, ['message:delete', { messageId: 'not-a-uuid' }]),
  (c, id) => ({
    kind: 'proto-pollution',
    ackId: id,
    data: `42${id}["message:send",{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"channelId":"${c.ownChannel}","body":"p"}]`,
  }),
  (c, id) => ev('unknown-event', id, ['admin:ban-everyone', {}]),
  (c, id) => ev('proto-event', id, ['__proto__', {}]),
  (c, id) => ev('constructor-event', id, ['constructor', {}]),
  (c, id) => ev('tostring-event', id, ['toString', {}]),
  (c, id) => ev('empty-event', id, ['', {}]),
  (c, id) => ev('long-event', id, ['e'.repeat(20_000), {}]),
  (c, id) => ev('numeric-event', id, [42, {}]),
  (c, id) => ev('object-event', id, [{ event: 'message:send' }, {}]),
  (c, id) => ({ kind: 'deep-array', ackId: id, data: `42${id}["message:send",${deepArray(25_000)}]` }),
  (c, id) => ({ kind: 'deep-object', ackId: id, data: `42${id}["channel:sync",${deepObject(8000)}]` }),
  (c) => ({
    kind: 'huge-ack-id',
    data: `42${'9'.repeat(30)}["typing",{"channelId":"${c.ownChannel}","typing":true}]`,
  }),
  (c, id) => ({
    kind: 'dangling-attachment',
    data: `451-${id}["message:send",{"_placeholder":true,"num":0}]`,
  }),
  (c, id) => ({
    kind: 'out-of-range-placeholder',
    data: `451-${id}["message:send",{"_placeholder":true,"num":7}]`,
    then: [randomBytes(16)],
  }),
  (c, id) => ({
    kind: 'proto-placeholder',
    data: `451-${id}["message:send",{"_placeholder":true,"num":"__proto__"}]`,
    then: [randomBytes(16)],
  }),
];

function ev(kind: string, ackId: number, args: unknown[]): Frame {
  return { kind, ackId, data: `42${ackId}${JSON.stringify(args)}` };
}
