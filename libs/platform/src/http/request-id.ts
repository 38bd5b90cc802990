import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEADER = 'x-request-id';
const SAFE_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives the request its id once: keeps a sane incoming X-Request-Id (front door), else makes one;
 * echoes it. Runs first (before body parsing, so even a malformed body's error carries the id) and
 * again as pino-http's `genReqId`, which then reuses the id already given.
 */
export function genRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = (req as { id?: unknown }).id;
  if (typeof given === 'string') return given;
  const incoming = req.headers[HEADER];
  const id = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(HEADER, id);
  (req as { id?: string }).id = id;
  return id;
}

export function requestIdOf(req: unknown): string {
  const id = (req as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : 'unknown';
}
