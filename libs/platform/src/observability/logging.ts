import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { pinoHttp, type HttpLogger, type Options } from 'pino-http';
import { genRequestId } from '../http/request-id';

export interface LoggingOptions {
  service: string;
  level: string;
  pretty: boolean;
  /** Where the lines go (default stdout); tests read them from a stream. */
  destination?: DestinationStream;
}

/** Paths never written to the log: credentials, tokens, cookies. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-amz-security-token"]',
  'res.headers["set-cookie"]',
  'req.query.token',
  '*.password',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
];

/** JSON lines, one per HTTP request with its request id (pretty in local mode). */
export function createRequestLogger(opts: LoggingOptions): HttpLogger {
  const options: Options = {
    name: opts.service,
    level: opts.level,
    genReqId: genRequestId,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Health and metrics probes every few seconds would drown the log.
    autoLogging: { ignore: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? '') },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        // Tokens in links (socket handshakes, email links) and an OIDC callback's one-time
        // authorization code and state.
        url: req.url.replace(/([?&](?:token|code|state)=)[^&]+/g, '$1[redacted]'),
      }),
    },
    transport:
      opts.pretty && !opts.destination
        ? { target: 'pino-pretty', options: { singleLine: true, colorize: true, ignore: 'pid,hostname' } }
        : undefined,
  };
  return opts.destination ? pinoHttp(options, opts.destination) : pinoHttp(options);
}

/**
 * Nest's logger on the request logger's pino instance. nestjs-pino's own middleware is not used
 * (`forRoutes: []`; PlatformModule applies `requestLogger` instead): it binds each request's logger
 * with AsyncLocalStorage, which on Node 20 turns on async hooks for the whole process for good, so
 * every promise and every socket write (each delivery of a broadcast) pays for them — about 8 % of
 * a gateway's CPU in the fan-out benchmark. Lines logged while handling a request therefore carry
 * no `req` binding: the ones that matter (HttpErrorFilter, the request line) name the request id.
 */
export function loggingModule(requestLogger: HttpLogger): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: { logger: requestLogger.logger }, forRoutes: [] });
}
