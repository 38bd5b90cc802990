import { Injectable } from '@nestjs/common';
import type { MessageMentions } from '@chat/contracts';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { MessageErrors } from './messages.errors';
import {
  isClientIdTaken,
  isRowFailure,
  MessagesRepository,
  type BatchOutcomeRow,
} from './messages.repository';

/** A message without attachments, as the writer stores it. */
export interface NewMessage {
  authorId: string;
  body: string;
  clientId: string | null;
  /** Thread and mentions (issue #16): passed through to the statement, see BatchMessage. */
  threadId?: string | null;
  mentions?: MessageMentions | null;
}

export interface StoredRow {
  id: string;
  seq: string;
  createdAt: Date;
}

/**
 * What became of a message: its row; `duplicate` when its author had already used its clientId
 * (the original stands); `not-member` when its author is not a member of the channel, `archived`
 * when the channel is read-only (nothing was stored: the caller says why in the contract's words).
 */
export type WriteOutcome = StoredRow | 'duplicate' | 'not-member' | 'archived';

interface Pending {
  channelId: string;
  message: NewMessage;
  resolve: (outcome: WriteOutcome) => void;
  reject: (err: unknown) => void;
}

/** Messages per statement at most: bounds the statement (bodies are up to 4,000 characters). */
const MAX_BATCH = 256;

/**
 * Times a batch is written again whole after one of its clientIds was stored meanwhile by another
 * writer: the next statement sees that clientId as used, so each retry settles at least one more.
 * Past them, the batch is written channel by channel, then message by message.
 */
const CLIENT_ID_RETRIES = 2;

const keyOf = (m: NewMessage) => `${m.authorId}\n${m.clientId}`;

/**
 * Stores messages without attachments. This replica keeps ONE write in flight, whatever the
 * channels; the messages that arrive meanwhile (or in the same turn of the event loop) go into the
 * next one, up to MAX_BATCH, as a single statement over all their channels that also checks each
 * author's membership and clientId. Where many channels are quiet, their messages thus share one
 * statement and one commit instead of paying one each; a busy channel's writers (one per replica)
 * queue on its row lock once per batch rather than once per message. Seqs stay gap-free and, per
 * channel, in arrival order (a channel is never in two statements of this replica at once, and the
 * statement numbers each channel's messages in their order).
 */
@Injectable()
export class ChannelWriter {
  /** The messages waiting for the next write, in arrival order. */
  private queue: Pending[] = [];
  /** Whether a write is in flight or about to start (then `queue` is drained by it). */
  private writing = false;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly metrics: GatewayMetrics,
  ) {}

  write(channelId: string, message: NewMessage): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ channelId, message, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      // After the current turn, so that the sends read from the sockets in it go together.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.metrics.writeBatchSize.observe(batch.length);
      this.metrics.writeBatchChannels.observe(new Set(batch.map((p) => p.channelId)).size);
      const stop = this.metrics.writeDuration.startTimer();
      await this.store(batch, CLIENT_ID_RETRIES);
      stop();
    }
    this.writing = false;
  }

  /**
   * Settles every message of the batch; never throws. When Postgres refuses the statement because
   * of some rows (a clientId taken meanwhile, bad data, a deadlock), the batch is written again in
   * parts, so that one channel's (or one message's) failure is not the others'.
   */
  private async store(batch: Pending[], retries: number): Promise<void> {
    let outcomes: (WriteOutcome | Error)[];
    try {
      outcomes = await this.insert(batch);
    } catch (err) {
      if (isClientIdTaken(err) && retries > 0) return this.store(batch, retries - 1);
      const parts = isRowFailure(err) ? split(batch) : [];
      // One part after the other: a channel's messages keep their order.
      for (const part of parts) await this.store(part, 0);
      if (parts.length > 0) return;
      // A single message whose clientId another writer stored meanwhile: the original stands.
      for (const p of batch) {
        if (isClientIdTaken(err)) p.resolve('duplicate');
        else p.reject(err);
      }
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) p.reject(outcome);
      else p.resolve(outcome);
    });
  }

  private async insert(batch: Pending[]): Promise<(WriteOutcome | Error)[]> {
    // A clientId repeated within the batch (a quick retry) shares the fate of its first use.
    const firstUse = new Map<string, number>();
    const repeats = batch.map(({ message }, i) => {
      if (message.clientId === null) return null;
      const first = firstUse.get(keyOf(message));
      if (first === undefined) firstUse.set(keyOf(message), i);
      return first ?? null;
    });
    const rows = await this.messages.insertAcross(
      batch.filter((_, i) => repeats[i] === null).map((p) => ({ ...p.message, channelId: p.channelId })),
    );
    const outcomes = rows.map(outcomeOf);
    let next = 0;
    const all: (WriteOutcome | Error)[] = [];
    for (const first of repeats) {
      if (first === null) all.push(outcomes[next++]);
      else all.push(typeof all[first] === 'string' || all[first] instanceof Error ? all[first] : 'duplicate');
    }
    return all;
  }
}

/** The batch in smaller parts: its channels', or its messages' when it holds one channel only. */
function split(batch: Pending[]): Pending[][] {
  const byChannel = new Map<string, Pending[]>();
  for (const p of batch) {
    const part = byChannel.get(p.channelId);
    if (part) part.push(p);
    else byChannel.set(p.channelId, [p]);
  }
  if (byChannel.size > 1) return [...byChannel.values()];
  return batch.length > 1 ? batch.map((p) => [p]) : [];
}

function outcomeOf(row: BatchOutcomeRow): WriteOutcome | Error {
  if (row.id !== null && row.seq !== null && row.created_at !== null)
    return { id: row.id, seq: row.seq, createdAt: row.created_at };
  if (!row.member) return 'not-member';
  if (row.used) return 'duplicate';
  if (row.archived) return 'archived';
  // A member's fresh message with no row: the channel's counter was not found (deleted meanwhile).
  return MessageErrors.notFound();
}
