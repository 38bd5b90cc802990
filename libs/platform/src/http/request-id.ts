import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEADER = 'x-request-id';
const SAFE_ID = /^[\w.:-]{1,128}$/;

/** pino-http `genReqId`: keeps a sane incoming X-Request-Id (front door), else makes one; echoes it. */
export function genRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers[HEADER];
  const id = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(HEADER, id);
  return id;
}

export function requestIdOf(req: unknown): string {
  const id = (req as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : 'unknown';
}
