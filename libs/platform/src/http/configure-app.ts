import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { json, urlencoded } from 'express';
import { HttpErrorFilter } from './http-exception.filter';
import { genRequestId } from './request-id';
import { createValidationPipe } from './validation';

/** helmet's headers for every HTTP answer, including those written outside Express (socket.io polling). */
export function securityHeaders(): ReturnType<typeof helmet> {
  return helmet({ crossOriginResourcePolicy: { policy: 'same-site' } });
}

export interface HttpAppOptions {
  /** Service title in the OpenAPI document. */
  title: string;
  /** Where the OpenAPI UI is served, e.g. `auth/docs`. */
  docsPath: string;
  corsOrigins: string[];
  /** Largest JSON body accepted (default 64 KiB: nothing in the contract needs more). */
  jsonLimit?: string;
}

/** The cross-cutting HTTP set-up every service shares: headers, CORS, bodies, errors, validation, docs. */
export function configureHttpApp(app: INestApplication, opts: HttpAppOptions): void {
  const http = app.getHttpAdapter().getInstance() as {
    disable?: (s: string) => void;
    set?: (k: string, v: unknown) => void;
  };
  http.disable?.('x-powered-by');
  // Behind the front door: trust one proxy hop for the client address used by rate limits.
  http.set?.('trust proxy', 1);
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    genRequestId(req, res);
    next();
  });
  app.use(securityHeaders());
  app.enableCors({ origin: opts.corsOrigins, credentials: false, maxAge: 600 });
  app.use(json({ limit: opts.jsonLimit ?? '64kb' }));
  app.use(urlencoded({ extended: false, limit: opts.jsonLimit ?? '64kb' }));
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(opts.title).setVersion('1').addBearerAuth().build(),
  );
  SwaggerModule.setup(opts.docsPath, app, doc, { jsonDocumentUrl: `${opts.docsPath}/openapi.json` });
}
