import { LoggerModule } from 'nestjs-pino';
import type { DynamicModule } from '@nestjs/common';
import { genRequestId } from '../http/request-id';

export interface LoggingOptions {
  service: string;
  level: string;
  pretty: boolean;
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

/** JSON lines with a request id on every HTTP log line (pretty in local mode). */
export function loggingModule(opts: LoggingOptions): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
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
          url: req.url.replace(/([?&]token=)[^&]+/, '$1[redacted]'),
        }),
      },
      transport: opts.pretty
        ? { target: 'pino-pretty', options: { singleLine: true, colorize: true, ignore: 'pid,hostname' } }
        : undefined,
    },
  });
}
