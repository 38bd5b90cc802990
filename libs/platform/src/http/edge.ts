import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { codeForStatus, type ErrorCode, type HttpErrorBody } from '@chat/contracts';

/*
 * What a Node HTTP server does with bytes that never become a request for the app: unparseable
 * requests, CONNECT, upgrades nobody serves. Node's defaults answer a bare 400 or just drop the
 * socket; these answer in the contract's error shape, on the raw socket, and close it. No Nest
 * imports: the local front door (scripts/lib/front-door.ts) uses them too.
 */

const SAFE_ID = /^[\w.:-]{1,128}$/;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The request's id: a sane incoming X-Request-Id (from a proxy in front), else a new one. */
export function edgeRequestId(req?: IncomingMessage): string {
  const given = req?.headers['x-request-id'];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}

/** The contract's error body. */
export function errorBody(status: number, message: string, requestId: string, code?: ErrorCode): string {
  const body: HttpErrorBody = { statusCode: status, code: code ?? codeForStatus(status), message, requestId };
  return JSON.stringify(body);
}

/**
 * Answers on a socket no ServerResponse owns (an upgrade, CONNECT, a request Node could not parse)
 * and closes it. A socket something was already written to is only destroyed: a second head would
 * corrupt the stream.
 */
export function answerOnSocket(
  socket: Duplex,
  status: number,
  message: string,
  opts: { req?: IncomingMessage; code?: ErrorCode; headers?: Record<string, string> } = {},
): void {
  const written = (socket as Partial<Socket>).bytesWritten ?? 0;
  if (socket.destroyed || !socket.writable || written > 0) {
    socket.destroy();
    return;
  }
  const requestId = edgeRequestId(opts.req);
  const body = errorBody(status, message, requestId, opts.code);
  const extra = Object.entries(opts.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.on('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      extra +
      'Connection: close\r\n\r\n' +
      body,
  );
  // end() waits for the peer to read; a client that never does must not pin the socket.
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** The status for a request Node's parser refused (its error code from llhttp or Node). */
function clientErrorStatus(err: NodeJS.ErrnoException): { status: number; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'Request line or headers too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'Request not received in time' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'Unknown method' };
    default:
      return { status: 400, message: 'Malformed HTTP request' };
  }
}

export interface EdgeGuardOptions {
  /**
   * Whether something else on this server (socket.io) answers this upgrade request. Any other
   * upgrade gets a 400. Omitted: no upgrade listener is added, so Node serves an Upgrade header
   * as an ordinary request.
   */
  upgradeHandled?: (req: IncomingMessage) => boolean;
}

/**
 * Puts a server's edges in the contract's shape: a request the parser refuses (bad request line,
 * oversized or malformed headers, unknown method, conflicting lengths, too slow) gets a JSON 4xx
 * before the socket closes; CONNECT (this is no forward proxy) a 405; an upgrade nobody serves a 400.
 */
export function guardHttpEdges(server: Server, opts: EdgeGuardOptions = {}): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // ECONNRESET and the like: the client is gone, there is nobody to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, message } = clientErrorStatus(err);
    answerOnSocket(socket, status, message);
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, 405, 'CONNECT is not supported', {
      req,
      headers: { Allow: 'GET, HEAD, POST, PATCH, PUT, DELETE' },
    });
  });
  const upgradeHandled = opts.upgradeHandled;
  if (upgradeHandled) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => socket.destroy());
      if (upgradeHandled(req)) return;
      answerOnSocket(socket, 400, 'Upgrade not supported on this path', { req });
    });
  }
}
