import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { HttpErrorBody } from '@chat/contracts';
import type { Request, Response } from 'express';
import { mapError } from './error-mapping';
import { requestIdOf } from './request-id';

/** Every HTTP error leaves in the one contract shape; internal details go only to the log. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const mapped = mapError(exception);
    const requestId = requestIdOf(req);
    if (mapped.internal) {
      this.logger.error(
        { requestId, method: req.method, url: req.originalUrl, err: exception },
        `${mapped.code} on ${req.method} ${req.path}`,
      );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body: HttpErrorBody = {
      statusCode: mapped.status,
      code: mapped.code,
      message: mapped.message,
      requestId,
    };
    res.status(mapped.status).set(mapped.headers).json(body);
  }
}
