import { Global, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventsModule } from './events/events.module';
import { Lifecycle } from './health/health';
import { loggingModule } from './observability/logging';
import { HttpMetricsMiddleware, Metrics } from './observability/metrics';

export interface PlatformOptions {
  service: string;
  logLevel: string;
  logPretty: boolean;
  redisUrl: string;
  redisPrefix: string;
}

/**
 * What every service gets: JSON logs with request ids, a Prometheus registry, HTTP metrics, the
 * event bus, health plumbing. Apps add `HealthController` and `MetricsController` to their own
 * controllers and provide READINESS_PROBES for their dependencies.
 */
@Global()
@Module({})
export class PlatformModule implements NestModule {
  static forRoot(opts: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        loggingModule({ service: opts.service, level: opts.logLevel, pretty: opts.logPretty }),
        TerminusModule.forRoot({ logger: false }),
        EventsModule.forRoot({ redisUrl: opts.redisUrl, prefix: opts.redisPrefix }),
      ],
      providers: [
        { provide: Metrics, useValue: new Metrics(opts.service) },
        Lifecycle,
        HttpMetricsMiddleware,
      ],
      exports: [Metrics, Lifecycle, TerminusModule, EventsModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
