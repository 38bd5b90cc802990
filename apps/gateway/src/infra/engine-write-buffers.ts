import { Socket as EngineSocket } from 'engine.io';

/** The members of an engine.io (6.6) socket that its `flush` uses. */
interface Internals {
  readyState: string;
  transport: { name: string; writable: boolean; send(packets: unknown[]): void };
  server: { emit(event: string, ...args: unknown[]): boolean };
  writeBuffer: unknown[];
  packetsFn: unknown[];
  sentCallbackFn: unknown[];
  emit(event: string, ...args: unknown[]): boolean;
  flush(): void;
  [SPARE]?: unknown[];
}

const SPARE = Symbol('spareWriteBuffer');
let installed = false;

/**
 * Makes engine.io empty a socket's write buffer once it is sent, and use it again, instead of
 * replacing it with a new array at every flush. Installed once per process, on the prototype: the
 * gateway's engine.io server is the only one in its process, and every flush engine.io starts
 * (after a packet, when the transport is ready again, after an upgrade) goes through it.
 *
 * Why: engine.io hands the array it just flushed, packets and all, to the transport, and starts a
 * new one. A socket's new array then waits for its next packet, which for a member of a quiet
 * channel is about a second away: by then V8 has moved the array to the old generation. The
 * packets pushed into it are young objects referenced from an old one. When the array is sent and
 * dropped, it stays in the old generation until the next major collection, and every scavenge
 * before then keeps what it holds (the packets, their options and frames) and moves them to the
 * old generation too. That was most of what the gateway promoted in the many-rooms benchmark:
 * the old generation grew 4.4 times as fast as bare socket.io's, bringing the next major
 * collection, which marks the whole heap on the replica's busy core, that much nearer
 * (docs/scaling.md, "What the scavenges promote"). An emptied array holds no packet, so a sent
 * packet dies young, as it should.
 *
 * Only the WebSocket transport, which writes the packets before `send` returns, is changed; the
 * polling transport keeps engine.io's own flush. Everything else is engine.io 6.6's `flush` as it
 * is (the events, the send callbacks). `engine-write-buffers.spec.ts` checks it against the
 * installed engine.io with real clients, so an upgrade that changes the socket is caught there.
 */
export function reuseWriteBuffers(): void {
  if (installed) return;
  installed = true;
  const proto = EngineSocket.prototype as unknown as Internals;
  const original = proto.flush;
  proto.flush = function flush(this: Internals): void {
    if (this.transport.name !== 'websocket') return original.call(this);
    if (this.readyState === 'closed' || !this.transport.writable || this.writeBuffer.length === 0) return;
    this.emit('flush', this.writeBuffer);
    this.server.emit('flush', this, this.writeBuffer);
    const sent = this.writeBuffer;
    this.writeBuffer = this[SPARE] ?? [];
    this[SPARE] = undefined;
    if (this.packetsFn.length > 0) {
      this.sentCallbackFn.push(this.packetsFn);
      this.packetsFn = [];
    } else {
      this.sentCallbackFn.push(null);
    }
    this.transport.send(sent);
    // The WebSocket transport has written (or queued in ws) every packet by now.
    sent.length = 0;
    this[SPARE] = sent;
    this.emit('drain');
    this.server.emit('drain', this);
  };
}
