import { BadRequestException, NotFoundException } from '@nestjs/common';
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
