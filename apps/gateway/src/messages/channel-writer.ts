import { Injectable } from '@nestjs/common';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { MessageErrors } from './messages.errors';
import { isClientIdTaken, MessagesRepository, type BatchOutcomeRow } from './messages.repository';

/** A message without attachments, as the writer stores it. */
export interface NewMessage {
  authorId: string;
  body: string;
  clientId: string | null;
}

export interface StoredRow {
  id: string;
  seq: string;
  createdAt: Date;
}

/**
 * What became of a message: its row; `duplicate` when its author had already used its clientId
 * (the original stands); `not-member` when its author is not a member of the channel (nothing
 * was stored: the caller says why in the contract's words).
 */
export type WriteOutcome = StoredRow | 'duplicate' | 'not-member';

interface Pending {
  message: NewMessage;
  resolve: (outcome: WriteOutcome) => void;
  reject: (err: unknown) => void;
}

/** Messages per statement at most: bounds the statement (bodies are up to 4,000 characters). */
const MAX_BATCH = 64;

const keyOf = (m: NewMessage) => `${m.authorId}\n${m.clientId}`;

/**
 * Stores messages without attachments. Per channel, this replica keeps one write in flight; the
 * messages that arrive meanwhile go into the next one, as a single statement that also checks
 * each author's membership and clientId. A channel's writers (one per replica) thus queue on its
 * row lock once per batch rather than once per message, and its seqs stay gap-free and in
 * arrival order.
 */
@Injectable()
export class ChannelWriter {
  /** Channels with a write in flight, and the messages waiting for the next one. */
  private readonly waiting = new Map<string, Pending[]>();

  constructor(
    private readonly messages: MessagesRepository,
    private readonly metrics: GatewayMetrics,
  ) {}

  write(channelId: string, message: NewMessage): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      const pending = { message, resolve, reject };
      const queue = this.waiting.get(channelId);
      if (queue) return void queue.push(pending);
      this.waiting.set(channelId, []);
      void this.drain(channelId, [pending]);
    });
  }

  private async drain(channelId: string, first: Pending[]): Promise<void> {
    const queue = this.waiting.get(channelId) as Pending[];
    for (let batch = first; batch.length > 0; batch = queue.splice(0, MAX_BATCH)) {
      await this.flush(channelId, batch);
    }
    this.waiting.delete(channelId);
  }

  /** Settles every message of the batch; never throws. */
  private async flush(channelId: string, batch: Pending[]): Promise<void> {
    this.metrics.writeBatchSize.observe(batch.length);
    try {
      const outcomes = await this.insert(
        channelId,
        batch.map((p) => p.message),
      );
      batch.forEach((p, i) => p.resolve(outcomes[i]));
    } catch (err) {
      if (!isClientIdTaken(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // A clientId of the batch was stored by another writer after this statement looked: one
      // statement per message, so only that one turns out a duplicate.
      for (const p of batch) {
        try {
          p.resolve((await this.insert(channelId, [p.message]))[0]);
        } catch (one) {
          if (isClientIdTaken(one)) p.resolve('duplicate');
          else p.reject(one);
        }
      }
    }
  }

  private async insert(channelId: string, messages: NewMessage[]): Promise<WriteOutcome[]> {
    // A clientId repeated within the batch (a quick retry) shares the fate of its first use.
    const firstUse = new Map<string, number>();
    const repeats = messages.map((m, i) => {
      if (m.clientId === null) return null;
      const first = firstUse.get(keyOf(m));
      if (first === undefined) firstUse.set(keyOf(m), i);
      return first ?? null;
    });
    const batch = messages.filter((_, i) => repeats[i] === null);
    const rows = await this.messages.insertBatch(channelId, batch);
    const outcomes = rows.map(outcomeOf);
    let next = 0;
    const all: WriteOutcome[] = [];
    for (const first of repeats) {
      if (first === null) all.push(outcomes[next++]);
      else all.push(typeof all[first] === 'string' ? all[first] : 'duplicate');
    }
    return all;
  }
}

function outcomeOf(row: BatchOutcomeRow): WriteOutcome {
  if (row.id !== null && row.seq !== null && row.created_at !== null)
    return { id: row.id, seq: row.seq, createdAt: row.created_at };
  if (!row.member) return 'not-member';
  if (row.used) return 'duplicate';
  // A member's fresh message with no row: the channel's counter was not found.
  throw MessageErrors.notFound();
}
