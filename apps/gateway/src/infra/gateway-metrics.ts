import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { Metrics } from '@chat/platform';

/** The gateway's own Prometheus series, registered once on the service's registry. */
@Injectable()
export class GatewayMetrics {
  /** Sockets connected to this replica; set on every scrape by whoever owns the socket server. */
  readonly connectedSockets: Gauge;
  readonly commands: Counter<'command' | 'outcome'>;
  readonly commandDuration: Histogram<'command'>;
  readonly messagesPersisted: Counter;
  readonly fannedOut: Counter<'event'>;

  constructor(metrics: Metrics) {
    this.connectedSockets = metrics.gauge('gateway_connected_sockets', 'Sockets connected to this replica');
    this.commands = metrics.counter('gateway_commands_total', 'Socket commands by type and outcome code', [
      'command',
      'outcome',
    ]);
    this.commandDuration = metrics.histogram(
      'gateway_command_duration_seconds',
      'Socket command latency, from dequeue to acknowledgement',
      ['command'],
    );
    this.messagesPersisted = metrics.counter(
      'gateway_messages_persisted_total',
      'Messages committed to the database (duplicates by clientId not counted)',
    );
    this.fannedOut = metrics.counter(
      'gateway_events_fanned_out_total',
      'Message events published to every replica, by event',
      ['event'],
    );
  }
}
