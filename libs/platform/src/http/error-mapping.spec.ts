import { BadRequestException, NotFoundException } from '@nestjs/common';
import { gunzipSync } from 'node:zlib';
import { AppError } from './app-error';
import { mapError } from './error-mapping';

describe('mapError', () => {
  it('keeps contract errors as they are', () => {
    expect(mapError(new AppError('CONFLICT', 'taken'))).toMatchObject({
      status: 409,
      code: 'CONFLICT',
      message: 'taken',
    });
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(mapError(new NotFoundException())).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(mapError(new BadRequestException(['a is bad', 'b is bad']))).toMatchObject({
      code: 'VALIDATION',
      message: 'a is bad; b is bad',
    });
  });

  it('maps body-parser failures to the client, not to a 500', () => {
    expect(mapError(Object.assign(new Error('x'), { type: 'entity.parse.failed' }))).toMatchObject({
      status: 400,
    });
    expect(mapError(Object.assign(new Error('x'), { type: 'entity.too.large' }))).toMatchObject({
      status: 413,
    });
  });

  it('keeps the 4xx the HTTP layer put on an error it had no type for, without its details', () => {
    // What body-parser hands on for `Content-Encoding: gzip` over bytes that are not gzip: zlib's
    // error, given a status by http-errors' createError(400, err).
    let zlib: unknown;
    try {
      gunzipSync(Buffer.from('not gzip at all'));
    } catch (err) {
      zlib = err;
    }
    const mapped = mapError(Object.assign(zlib as Error, { status: 400, statusCode: 400, expose: true }));
    expect(mapped).toMatchObject({
      status: 400,
      code: 'VALIDATION',
      message: 'Malformed request',
      internal: false,
    });
    // A status the layer marks as not for the client, or a 5xx, stays ours.
    expect(mapError(Object.assign(new Error('boom'), { status: 500, expose: false }))).toMatchObject({
      status: 500,
      internal: true,
    });
    expect(mapError(Object.assign(new Error('x'), { status: 400, expose: false }))).toMatchObject({
      status: 500,
    });
  });

  it('reports a dependency outage as UNAVAILABLE and hides internals', () => {
    expect(
      mapError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toMatchObject({
      status: 503,
      code: 'UNAVAILABLE',
      internal: true,
    });
    const redisDown = [
      Object.assign(new Error('Reached the max retries per request limit'), {
        name: 'MaxRetriesPerRequestError',
      }),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    ];
    for (const err of redisDown) expect(mapError(err)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    const unknown = mapError(new TypeError('secret detail'));
    expect(unknown).toMatchObject({ status: 500, code: 'INTERNAL', message: 'Internal error' });
  });
});
