import { Injectable } from '@nestjs/common';
import { Gauge, type Counter, type Histogram } from 'prom-client';
import { Metrics } from '@chat/platform';

/** The gateway's own Prometheus series, registered once on the service's registry. */
@Injectable()
export class GatewayMetrics {
  /** Sockets connected to this replica, counted on every scrape (see `countSocketsWith`). */
  readonly connectedSockets: Gauge;
  private countSockets: () => number = () => 0;
  readonly commands: Counter<'command' | 'outcome'>;
  readonly commandDuration: Histogram<'command'>;
  readonly messagesPersisted: Counter;
  readonly writeBatchSize: Histogram;
  readonly writeBatchChannels: Histogram;
  readonly writeDuration: Histogram;
  readonly fannedOut: Counter<'event'>;
  readonly broadcastSlices: Histogram;

  constructor(metrics: Metrics) {
    const count = () => this.countSockets();
    this.connectedSockets = new Gauge({
      name: 'gateway_connected_sockets',
      help: 'Sockets connected to this replica',
      registers: [metrics.registry],
      collect() {
        this.set(count());
      },
    });
    this.commands = metrics.counter('gateway_commands_total', 'Socket commands by type and outcome code', [
      'command',
      'outcome',
    ]);
    this.commandDuration = metrics.histogram(
      'gateway_command_duration_seconds',
      'Socket command latency, from arrival (queue wait included) to acknowledgement',
      ['command'],
    );
    this.messagesPersisted = metrics.counter(
      'gateway_messages_persisted_total',
      'Messages committed to the database (duplicates by clientId not counted)',
    );
    this.writeBatchSize = metrics.histogram(
      'gateway_message_write_batch_size',
      'Messages stored per statement by the writer (sends that queued behind its write in flight)',
      [],
      [1, 2, 4, 8, 16, 32, 64, 128, 256],
    );
    this.writeBatchChannels = metrics.histogram(
      'gateway_message_write_batch_channels',
      'Channels per statement of the writer (one statement stores the queued sends of many channels)',
      [],
      [1, 2, 4, 8, 16, 32, 64, 128, 256],
    );
    this.writeDuration = metrics.histogram(
      'gateway_message_write_seconds',
      'Time of one write of the writer, from its statement to its commit (retries and split parts included); sends that queued behind it waited for it too',
    );
    this.fannedOut = metrics.counter(
      'gateway_events_fanned_out_total',
      'Message events published to every replica, by event',
      ['event'],
    );
    this.broadcastSlices = metrics.histogram(
      'gateway_broadcast_slice_sockets',
      'Sockets written per event-loop turn by broadcasts too large to write at once (SOCKET_BROADCAST_SLICE)',
      [],
      [50, 100, 250, 500, 1000, 2500],
    );
  }

  /** Where the socket count comes from (read at scrape time, so no socket needs a listener for it). */
  countSocketsWith(count: () => number): void {
    this.countSockets = count;
  }
}
