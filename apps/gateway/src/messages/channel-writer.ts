import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { isUniqueViolation } from '@chat/database';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { MessageErrors } from './messages.errors';

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

interface OutcomeRow {
  member: boolean;
  used: boolean;
  id: string | null;
  seq: string | null;
  created_at: Date | null;
}

/** Messages per statement at most: bounds the statement (bodies are up to 4,000 characters). */
const MAX_BATCH = 64;
const CLIENT_ID_KEY = 'messages_author_client_id_key';

// $1 channel; $2 authors, $3 bodies, $4 clientIds: one element per message, in arrival order.
// Stored: the messages of members whose clientId is unused, with consecutive seqs in that order
// from ONE update of the channel's counter, so its row lock is held for this statement only, once
// per batch. Atomic: if it fails, its seqs are given back (no gap). Answers one row per message,
// in order, saying what became of it.
const INSERT_BATCH = `
  WITH input AS (
    SELECT t.n, t.author_id, t.body, t.client_id,
           EXISTS (SELECT 1 FROM memberships ms WHERE ms.channel_id = $1 AND ms.user_id = t.author_id) AS member,
           t.client_id IS NOT NULL AND EXISTS (
             SELECT 1 FROM messages m WHERE m.author_id = t.author_id AND m.client_id = t.client_id) AS used
      FROM unnest($2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS t(author_id, body, client_id, n)
  ),
  fresh AS (
    SELECT n, author_id, body, client_id, row_number() OVER (ORDER BY n) AS k, count(*) OVER () AS total
      FROM input WHERE member AND NOT used
  ),
  c AS (
    UPDATE channels SET last_seq = last_seq + (SELECT count(*) FROM fresh)
     WHERE id = $1 AND EXISTS (SELECT 1 FROM fresh) RETURNING last_seq
  ),
  stored AS (
    INSERT INTO messages (channel_id, seq, author_id, body, client_id)
    SELECT $1, c.last_seq - fresh.total + fresh.k, fresh.author_id, fresh.body, fresh.client_id
      FROM fresh CROSS JOIN c
    RETURNING id, seq, created_at
  )
  SELECT input.member, input.used, stored.id, stored.seq, stored.created_at
    FROM input
    LEFT JOIN fresh ON fresh.n = input.n
    LEFT JOIN c ON true
    LEFT JOIN stored ON stored.seq = c.last_seq - fresh.total + fresh.k
   ORDER BY input.n`;

/** The name INSERT_BATCH is prepared under on each connection (DATABASE_PREPARED_STATEMENTS). */
const INSERT_BATCH_NAME = 'chat_insert_batch_v1';

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
    @InjectDataSource() private readonly db: DataSource,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
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
      if (!isUniqueViolation(err, CLIENT_ID_KEY)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // A clientId of the batch was stored by another writer after this statement looked: one
      // statement per message, so only that one turns out a duplicate.
      for (const p of batch) {
        try {
          p.resolve((await this.insert(channelId, [p.message]))[0]);
        } catch (one) {
          if (isUniqueViolation(one, CLIENT_ID_KEY)) p.resolve('duplicate');
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
    const rows = await this.run([
      channelId,
      batch.map((m) => m.authorId),
      batch.map((m) => m.body),
      batch.map((m) => m.clientId),
    ]);
    const outcomes = rows.map(outcomeOf);
    let next = 0;
    const all: WriteOutcome[] = [];
    for (const first of repeats) {
      if (first === null) all.push(outcomes[next++]);
      else all.push(typeof all[first] === 'string' ? all[first] : 'duplicate');
    }
    return all;
  }

  /** INSERT_BATCH, prepared once per connection unless DATABASE_PREPARED_STATEMENTS is off. */
  private async run(values: unknown[]): Promise<OutcomeRow[]> {
    if (!this.config.database.preparedStatements) return this.db.query(INSERT_BATCH, values);
    // TypeORM's query() cannot name a statement; its driver's pg pool can (pg prepares a named
    // statement once per connection and reuses it).
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    const result = await pool.query<OutcomeRow>({ name: INSERT_BATCH_NAME, text: INSERT_BATCH, values });
    return result.rows;
  }
}

function outcomeOf(row: OutcomeRow): WriteOutcome {
  if (row.id !== null && row.seq !== null && row.created_at !== null)
    return { id: row.id, seq: row.seq, createdAt: row.created_at };
  if (!row.member) return 'not-member';
  if (row.used) return 'duplicate';
  // A member's fresh message with no row: the channel's counter was not found.
  throw MessageErrors.notFound();
}
