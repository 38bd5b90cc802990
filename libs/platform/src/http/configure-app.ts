import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { json, urlencoded } from 'express';
import { AppError } from './app-error';
import { guardHttpEdges } from './edge';
import { HttpErrorFilter } from './http-exception.filter';
import { genRequestId } from './request-id';
import { boundHttpClose } from './stop';
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
  /** TRUSTED_PROXIES: addresses/CIDRs/range names whose X-Forwarded-For is believed (default loopback). */
  trustedProxies?: string[];
  /** Largest JSON body accepted (default 64 KiB: nothing in the contract needs more). */
  jsonLimit?: string;
  /** Path prefixes whose upgrade requests another listener serves (socket.io); any other gets a 400. */
  upgradePaths?: string[];
}

const PARSED_BODY = /^application\/(json|x-www-form-urlencoded)\b/i;

/**
 * A JSON or form body whose declared length is over `limit` is refused with a 413 before any of it
 * is read. The body parser refuses it too, but answers only once the whole declared body has been
 * read off the socket: a client declaring 900 MB and sending nothing got no answer until Node's
 * request timeout. (Node still reads and drops what does come: closing at once instead would cut a
 * proxy in front mid-write, which then answers 503 rather than this 413.)
 */
function refuseDeclaredOversize(limit: string) {
  const m = /^(\d+)\s*(kb|mb)?$/i.exec(limit);
  const max = m ? Number(m[1]) * ({ kb: 1024, mb: 1024 * 1024 }[m[2]?.toLowerCase() ?? ''] ?? 1) : Infinity;
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > max && PARSED_BODY.test(req.headers['content-type'] ?? '')) {
      next(new AppError('PAYLOAD_TOO_LARGE', 'Request body too large'));
      return;
    }
    next();
  };
}

/** The cross-cutting HTTP set-up every service shares: headers, CORS, bodies, errors, validation, docs. */
export function configureHttpApp(app: INestApplication, opts: HttpAppOptions): void {
  const http = app.getHttpAdapter().getInstance() as {
    disable?: (s: string) => void;
    set?: (k: string, v: unknown) => void;
  };
  http.disable?.('x-powered-by');
  // The client address (rate limits, login throttles) from X-Forwarded-For, as far as TRUSTED_PROXIES vouch for it.
  http.set?.('trust proxy', opts.trustedProxies ?? ['loopback']);
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    genRequestId(req, res);
    next();
  });
  app.use(securityHeaders());
  app.enableCors({ origin: opts.corsOrigins, credentials: false, maxAge: 600 });
  app.use(refuseDeclaredOversize(opts.jsonLimit ?? '64kb'));
  app.use(json({ limit: opts.jsonLimit ?? '64kb' }));
  app.use(urlencoded({ extended: false, limit: opts.jsonLimit ?? '64kb' }));
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalPipes(createValidationPipe());
  // No enableShutdownHooks(): signals belong to the process's entry point (stopOnSignals in each
  // main.ts, the launcher for the local stack, where three apps share one process).
  const server = app.getHttpServer() as Server;
  const upgradePaths = opts.upgradePaths ?? [];
  guardHttpEdges(server, {
    upgradeHandled: (req) => upgradePaths.some((p) => (req.url ?? '').startsWith(p)),
  });
  boundHttpClose(server);
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(opts.title).setVersion('1').addBearerAuth().build(),
  );
  SwaggerModule.setup(opts.docsPath, app, doc, { jsonDocumentUrl: `${opts.docsPath}/openapi.json` });
}
