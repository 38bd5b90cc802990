import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { Download } from './files.service';

/**
 * Writes a download to the client. The body is piped with backpressure, so memory stays flat
 * whatever the file size; a client that goes away stops the read from the store.
 */
export async function sendDownload(req: Request, res: Response, d: Download): Promise<void> {
  res.set(d.headers);
  switch (d.kind) {
    case 'redirect':
      res.status(302).location(d.location).end();
      return;
    case 'not-modified':
      res.status(304).end();
      return;
    case 'unsatisfiable':
      // No JSON error body here: a 416 is part of the range conversation, not a failure to show.
      res.status(416).end();
      return;
    case 'content':
      break;
  }
  res.status(d.status);
  if (req.method === 'HEAD') {
    d.body.destroy();
    d.onEnd(0, true);
    res.end();
    return;
  }
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      sent += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(d.body, counter, res);
    d.onEnd(sent, true);
  } catch {
    // The client left, or the store failed mid-body (the store answered before we got here, so
    // the headers are out or about to be): all that is left is to cut the connection, and the
    // client sees a short body, never a wrong one.
    d.onEnd(sent, false);
    res.destroy();
  }
}
