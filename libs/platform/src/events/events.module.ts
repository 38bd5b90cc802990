import {
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type DynamicModule,
} from '@nestjs/common';
import type { Metrics } from '../observability/metrics';
import { createEventBus, type EventBus } from './event-bus';

export const EVENT_BUS = Symbol('EVENT_BUS');

@Injectable()
class EventBusCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

@Global()
@Module({})
export class EventsModule {
  static forRoot(opts: { redisUrl: string; prefix: string; metrics?: Metrics }): DynamicModule {
    return {
      module: EventsModule,
      providers: [
        {
          provide: EVENT_BUS,
          useFactory: () => createEventBus(opts.redisUrl, opts.prefix, { metrics: opts.metrics }),
        },
        EventBusCloser,
      ],
      exports: [EVENT_BUS],
    };
  }
}
