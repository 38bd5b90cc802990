import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { UploadErrors } from './uploads.errors';

export interface FilePart {
  /** As the client sent it: untrusted, to be sanitized. */
  filename: string;
  stream: Readable;
}

/** Room for the multipart framing and the text fields next to the file when judging Content-Length. */
export const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** After answering an upload early (413, 415…), read at most this much more of its body… */
const DRAIN_MAX_BYTES = 1024 * 1024;
/** …for at most this long, then cut the connection. */
const DRAIN_MAX_MS = 5000;

/**
 * Reads a multipart/form-data upload whose text fields come first and whose one `file` part comes
 * last, handing the file to `onFile` as a stream while it is still arriving: nothing is buffered
 * whole. Resolves with onFile's result once the request has been read to its end.
 */
export function receiveFile<T>(
  req: IncomingMessage,
  onFile: (fields: Record<string, string>, file: FilePart) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { files: 1, fields: 10, parts: 12, fieldSize: 1024, fieldNameSize: 100, headerPairs: 50 },
      });
    } catch {
      reject(UploadErrors.malformed('Expected a multipart/form-data body'));
      return;
    }
    const fields: Record<string, string> = {};
    let fileStream: Readable | null = null;
    let handled = false;
    let bodyRead = false;
    let outcome: { value: T } | null = null;
    let settled = false;

    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      // The handler learns about the failure through its stream and cleans up after itself.
      if (fileStream && !fileStream.readableEnded) fileStream.destroy(err as Error);
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const finish = () => {
      if (settled || !outcome || !bodyRead) return;
      settled = true;
      resolve(outcome.value);
    };

    parser.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated)
        fail(UploadErrors.malformed(`Form field ${name} is too long`));
      else fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || handled) {
        stream.resume(); // not ours: skip its bytes
        return;
      }
      handled = true;
      fileStream = stream;
      // Failures reach the handler through its reads and the caller through `fail`; an 'error'
      // event nobody listens to would crash the process instead.
      stream.on('error', () => undefined);
      onFile({ ...fields }, { filename: info.filename ?? '', stream }).then((value) => {
        outcome = { value };
        finish();
      }, fail);
    });
    parser.on('close', () => {
      bodyRead = true;
      if (!handled) fail(UploadErrors.malformed('The form has no `file` part'));
      else finish();
    });
    parser.on('error', () => fail(UploadErrors.malformed('Malformed multipart body')));
    parser.on('fieldsLimit', () => fail(UploadErrors.malformed('Too many form fields')));
    parser.on('partsLimit', () => fail(UploadErrors.malformed('Too many form parts')));
    req.once('close', () => {
      if (!req.complete) fail(UploadErrors.aborted());
    });
    req.pipe(parser);
  });
}

/**
 * After an upload was refused before its body was read (a 413 on Content-Length, a 415 on the
 * first bytes), lets the client see the answer: the rest of the body is read and dropped — up to a
 * small budget, then the connection is cut once the answer is out, so an oversized upload never
 * costs more than that. Without this, the unread body would stall the connection.
 */
export function abandonRequestBody(req: IncomingMessage & { res?: ServerResponse }): void {
  req.unpipe();
  if (req.complete || req.readableEnded || req.destroyed) return;
  let budget = DRAIN_MAX_BYTES;
  let cut = false;
  const cutConnection = () => {
    if (cut) return;
    cut = true;
    clearTimeout(timer);
    req.pause();
    const res = req.res;
    const destroy = () => req.socket?.destroy();
    if (!res || res.writableFinished || res.destroyed) destroy();
    else {
      res.once('finish', destroy);
      res.once('close', destroy);
    }
  };
  const timer = setTimeout(cutConnection, DRAIN_MAX_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    budget -= chunk.length;
    if (budget < 0) cutConnection();
  });
  req.once('end', () => clearTimeout(timer));
  req.resume();
}
