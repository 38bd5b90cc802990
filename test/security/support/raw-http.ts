import { connect } from 'node:net';

/** What came back for bytes written on a fresh TCP connection. */
export interface RawAnswer {
  /** Status of the first response, null when none came. */
  status: number | null;
  head: string;
  body: string;
  /** The server closed (or reset) the connection. */
  closed: boolean;
  /** Nothing came and the connection stayed open until the wait ran out. */
  hung: boolean;
  ms: number;
}

/** The text after any interim `100 Continue` heads. */
function finalResponse(text: string): string {
  while (/^HTTP\/1\.[01] 100 /.test(text) && text.includes('\r\n\r\n'))
    text = text.slice(text.indexOf('\r\n\r\n') + 4);
  return text;
}

/** Whether `text` holds one complete HTTP response (by Content-Length or a final chunk). */
function complete(text: string): boolean {
  text = finalResponse(text);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = text.slice(0, end);
  const body = text.slice(end + 4);
  if (/^HTTP\/1\.[01] (101|204|304)/.test(head)) return true;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return Buffer.byteLength(body, 'latin1') >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body.endsWith('0\r\n\r\n');
  return false;
}

/**
 * Writes `bytes` as they are on a new TCP connection (nothing normalizes them: no client library
 * checks the request line, headers or framing), then reads until one response is complete, the
 * server closes, or `waitMs` passes. `halfClose` ends our side after writing (a truncated body
 * really ends there); `reset` resets the connection after writing instead (an aborted request).
 */
export function rawRequest(
  url: string,
  bytes: string | Buffer,
  opts: { waitMs?: number; halfClose?: boolean; reset?: boolean } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let text = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      text = finalResponse(text);
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({
        status: status ? Number(status[1]) : null,
        head,
        body: split >= 0 ? text.slice(split + 4) : '',
        closed,
        hung: !closed && text === '',
        ms: Date.now() - started,
      });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 5000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (complete(text)) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      socket.write(bytes, () => {
        if (opts.reset) {
          socket.resetAndDestroy();
          finish(true);
        } else if (opts.halfClose) socket.end();
      });
    });
  });
}
