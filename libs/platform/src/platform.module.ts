import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import type { DestinationStream } from 'pino';
import type { HttpLogger } from 'pino-http';
import { EventsModule } from './events/events.module';
import { Lifecycle } from './health/health';
import { createRequestLogger, loggingModule } from './observability/logging';
import { HttpMetricsMiddleware, Metrics } from './observability/metrics';

const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');

export interface PlatformOptions {
  service: string;
  logLevel: string;
  logPretty: boolean;
  redisUrl: string;
  redisPrefix: string;
  /** Where log lines go (default stdout); tests read them from a stream. */
  logDestination?: DestinationStream;
}

/**
 * What every service gets: JSON logs with request ids, a Prometheus registry, HTTP metrics, the
 * event bus, health plumbing. Apps add `HealthController` and `MetricsController` to their own
 * controllers and provide READINESS_PROBES for their dependencies.
 */
@Global()
@Module({})
export class PlatformModule implements NestModule {
  constructor(@Inject(REQUEST_LOGGER) private readonly requestLogger: HttpLogger) {}

  static forRoot(opts: PlatformOptions): DynamicModule {
    const requestLogger = createRequestLogger({
      service: opts.service,
      level: opts.logLevel,
      pretty: opts.logPretty,
      destination: opts.logDestination,
    });
    const metrics = new Metrics(opts.service);
    return {
      module: PlatformModule,
      imports: [
        loggingModule(requestLogger),
        EventsModule.forRoot({ redisUrl: opts.redisUrl, prefix: opts.redisPrefix, metrics }),
      ],
      providers: [
        { provide: REQUEST_LOGGER, useValue: requestLogger },
        { provide: Metrics, useValue: metrics },
        Lifecycle,
        HttpMetricsMiddleware,
      ],
      exports: [Metrics, Lifecycle, EventsModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.requestLogger, HttpMetricsMiddleware).forRoutes('*path');
  }
}
