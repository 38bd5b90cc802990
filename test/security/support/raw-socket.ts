import WebSocket from 'ws';

/**
 * socket.io spoken by hand over a raw WebSocket (engine.io v4 framing), so a test can send what no
 * socket.io client would: garbage frames, broken packets, protocol violations. Answers the server's
 * pings so only the test decides when a connection ends.
 *
 * Engine.io packets are one digit (0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop)
 * plus data; socket.io packets ride in engine.io messages as one more digit (0 CONNECT,
 * 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR, 5 BINARY_EVENT, 6 BINARY_ACK), an optional
 * `<attachments>-`, `/namespace,`, ack id and JSON: `42` + `7["message:send",{...}]`.
 */
export class RawSocket {
  readonly acks = new Map<number, unknown>();
  /** Every text frame the server sent after the open packet. */
  readonly received: string[] = [];
  closed = false;
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text === '2') {
        this.sendRaw('3');
        return;
      }
      this.received.push(text);
      const ack = /^43(\d+)(\[.*)$/s.exec(text);
      if (ack) this.acks.set(Number(ack[1]), (JSON.parse(ack[2]) as unknown[])[0]);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => undefined);
  }

  /** Opens the WebSocket transport and waits for the engine.io open packet. */
  static open(
    origin: string,
    opts: { headers?: Record<string, string>; query?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<RawSocket> {
    const url = new URL('/socket.io/', origin.replace(/^http/, 'ws'));
    url.searchParams.set('EIO', '4');
    url.searchParams.set('transport', 'websocket');
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const ws = new WebSocket(url, { headers: opts.headers, handshakeTimeout: opts.timeoutMs ?? 5000 });
    const socket = new RawSocket(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no engine.io open packet'));
      }, opts.timeoutMs ?? 5000);
      ws.once('message', (data: Buffer) => {
        clearTimeout(timer);
        if (data.toString().startsWith('0{')) resolve(socket);
        else reject(new Error(`unexpected first frame ${data.toString().slice(0, 80)}`));
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(
          Object.assign(new Error(`handshake refused with ${res.statusCode}`), { status: res.statusCode }),
        );
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** socket.io CONNECT to the main namespace with `auth`; resolves with the server's answer packet. */
  async connect(auth: unknown, timeoutMs = 5000): Promise<{ ok: boolean; packet: string }> {
    const from = this.received.length;
    this.sendRaw(`40${JSON.stringify(auth)}`);
    const packet = await this.waitFor((f) => f.startsWith('40') || f.startsWith('44'), from, timeoutMs);
    return { ok: packet.startsWith('40'), packet };
  }

  /** A socket.io EVENT with an ack id; resolves with the acknowledgement's first argument. */
  async emit(args: unknown[], ackId: number, timeoutMs = 5000): Promise<unknown> {
    this.sendRaw(`42${ackId}${JSON.stringify(args)}`);
    const deadline = Date.now() + timeoutMs;
    while (!this.acks.has(ackId)) {
      if (this.closed) throw new Error('closed before the acknowledgement');
      if (Date.now() > deadline) throw new Error(`no acknowledgement ${ackId}`);
      await this.next(deadline - Date.now());
    }
    return this.acks.get(ackId);
  }

  /** Sends one frame as is (text or binary). Returns false when the socket is already closed. */
  sendRaw(frame: string | Buffer): boolean {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(frame);
    return true;
  }

  /** Resolves once the server closed the connection (true), or false after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.next(deadline - Date.now());
    return this.closed;
  }

  close(): void {
    this.closed = true;
    this.ws.terminate();
  }

  private async waitFor(match: (frame: string) => boolean, from: number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find(match);
      if (found) return found;
      if (this.closed) throw new Error('closed');
      if (Date.now() > deadline) throw new Error('timed out');
      await this.next(deadline - Date.now());
    }
  }

  private next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
