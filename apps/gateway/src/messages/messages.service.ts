import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { LIMITS, type Message, type MessagePage } from '@chat/contracts';
import { AppError, EVENT_BUS, type DomainEvents, type EventBus } from '@chat/platform';
import type { Principal } from '@chat/security';
import { ChannelAccess, type ChannelRef } from '../channels/channel-access';
import { ChannelErrors } from '../channels/channels.errors';
import { ChannelsService } from '../channels/channels.service';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { returning } from '../infra/sql';
import { TypingService } from '../presence/typing.service';
import { ChannelWriter } from './channel-writer';
import { MessageFanout } from './message-fanout';
import { toMessageDto, type FileRow, type MessageRow } from './message.mapper';
import { MessageReader, toMessage, type StoredMessageRow } from './message.reader';
import { MessageErrors } from './messages.errors';

/** The clientId turned out to be taken: thrown inside the send transaction to roll it back. */
class DuplicateClientId extends Error {
  constructor(readonly clientId: string) {
    super('duplicate clientId');
  }
}

export interface SendInput {
  body: string;
  clientId?: string;
  attachmentIds?: string[];
}

export interface HistoryInput {
  before?: number;
  after?: number;
  limit?: number;
}

/**
 * Sending, editing, deleting and reading messages. Persist first, then push: a send is answered
 * once its transaction committed, with its seq, and published from then on (the answer does not
 * wait for the publish).
 */
@Injectable()
export class MessagesService implements OnModuleInit {
  private readonly logger = new Logger(MessagesService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly access: ChannelAccess,
    private readonly channels: ChannelsService,
    private readonly reader: MessageReader,
    private readonly fanout: MessageFanout,
    private readonly writer: ChannelWriter,
    private readonly typing: TypingService,
    private readonly metrics: GatewayMetrics,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe('file.deleted', (event) => this.fileDeleted(event));
  }

  history(user: Principal, channelId: string, q: HistoryInput): Promise<MessagePage> {
    return this.asMember(user, channelId, () =>
      this.reader.page(channelId, { ...q, limit: q.limit ?? LIMITS.pageLimitDefault }),
    );
  }

  /** Catch-up after a reconnect: everything after `afterSeq`, ascending. */
  sync(user: Principal, channelId: string, afterSeq: number, limit?: number): Promise<MessagePage> {
    return this.asMember(user, channelId, () =>
      this.reader.page(channelId, { after: afterSeq, limit: limit ?? LIMITS.pageLimitMax }),
    );
  }

  /**
   * Sends a message. With a `clientId` the author already used, answers the original message and
   * publishes nothing (a retry, maybe through another replica after a reconnect). Membership is
   * checked by the write itself for a message without attachments.
   */
  async send(user: Principal, channelId: string, input: SendInput): Promise<Message> {
    let message: Message;
    try {
      message = input.attachmentIds?.length
        ? await this.insertWithAttachments(user, channelId, input)
        : await this.insertPlain(user, channelId, input);
    } catch (err) {
      if (!(err instanceof DuplicateClientId)) throw err;
      const original = await this.reader.byClientId(user.id, err.clientId);
      if (!original) throw err;
      return this.retried(original, channelId);
    }
    this.metrics.messagesPersisted.inc();
    this.typing
      .stop(user, channelId)
      .catch((err: unknown) => this.logger.warn({ err }, 'could not clear typing state'));
    this.fanout.announceNew(message);
    return message;
  }

  async edit(user: Principal, messageId: string, body: string): Promise<Message> {
    const row = await this.visibleRow(user, messageId);
    await this.access.member(user, row.channel_id);
    if (row.author_id !== user.id) throw MessageErrors.notAuthor();
    if (row.deleted_at) throw MessageErrors.notFound();
    if (row.body === body) return toMessage(row);
    const updated = await returning(
      this.db,
      `UPDATE messages SET body = $2, edited_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [messageId, body],
    );
    if (updated.length === 0) throw MessageErrors.notFound();
    const message = await this.reader.byId(messageId);
    if (!message) throw MessageErrors.notFound();
    this.fanout.announceUpdated(message);
    return message;
  }

  /**
   * Deletes (idempotently): the author, the channel's owner, moderators and admins. The row stays
   * as a tombstone so its seq is not a gap; the body is erased, which also drops it from search.
   */
  async remove(user: Principal, messageId: string): Promise<void> {
    const row = await this.visibleRow(user, messageId);
    const ref = await this.access.visible(user, row.channel_id);
    const isAuthor = row.author_id === user.id && ref.role !== null;
    if (!isAuthor && !this.access.canManage(user, ref)) throw this.deleteRefusal(ref);
    const deleted = await returning<{ seq: string }>(
      this.db,
      `UPDATE messages SET deleted_at = now(), body = '' WHERE id = $1 AND deleted_at IS NULL RETURNING seq`,
      [messageId],
    );
    if (deleted[0])
      this.fanout.announceDeleted({ id: messageId, channelId: row.channel_id, seq: Number(deleted[0].seq) });
  }

  /** Full-text search over the caller's channels (or one of them), newest first. */
  async search(user: Principal, q: string, channelId?: string): Promise<Message[]> {
    if (channelId) return this.asMember(user, channelId, () => this.reader.search(q, [channelId]));
    return this.reader.search(q, await this.channels.memberChannelIds(user.id));
  }

  /**
   * A read of a channel's messages, run alongside the caller's membership check rather than after
   * it (one round trip instead of two). A caller who is not a member is answered as soon as the
   * check fails, without waiting for the read (whose duration would tell something about the
   * channel's messages), and what it read is dropped.
   */
  private async asMember<T>(user: Principal, channelId: string, read: () => Promise<T>): Promise<T> {
    const reading = read();
    // Its failure matters only to a member, who awaits it below.
    reading.catch(() => undefined);
    await this.access.member(user, channelId);
    return reading;
  }

  /** The media service deleted a file: the message that carried it is re-sent without it. */
  private async fileDeleted(event: DomainEvents['file.deleted']): Promise<void> {
    if (!event.messageId) return;
    const message = await this.reader.byId(event.messageId);
    if (message && !message.deleted) this.fanout.announceUpdatedLocally(message);
  }

  /**
   * A message without attachments goes through the channel's writer, which batches it with the
   * channel's other sends (one statement, one row lock, one commit), refuses non-members and skips
   * a used clientId. The acknowledged message is built from the statement's answer: no read-back.
   */
  private async insertPlain(user: Principal, channelId: string, input: SendInput): Promise<Message> {
    const draft = { authorId: user.id, body: input.body, clientId: input.clientId ?? null };
    let outcome = await this.writer.write(channelId, draft);
    if (outcome === 'not-member') {
      // Why, in the contract's words (NOT_FOUND, or FORBIDDEN where the channel is visible);
      // unless the author became a member meanwhile.
      await this.access.member(user, channelId);
      outcome = await this.writer.write(channelId, draft);
    }
    if (outcome === 'not-member') throw ChannelErrors.notMember();
    if (outcome === 'duplicate') throw new DuplicateClientId(draft.clientId as string);
    return toMessageDto(this.newRow(user, channelId, input, outcome.id, outcome.seq, outcome.createdAt), []);
  }

  /**
   * Membership first, then the clientId: a retry would otherwise be refused for attachments its
   * original already holds.
   */
  private async insertWithAttachments(
    user: Principal,
    channelId: string,
    input: SendInput,
  ): Promise<Message> {
    await this.access.member(user, channelId);
    if (input.clientId && (await this.reader.byClientId(user.id, input.clientId)))
      throw new DuplicateClientId(input.clientId);
    return this.db.transaction((tx) => this.insert(tx, user, channelId, input));
  }

  private newRow(
    user: Principal,
    channelId: string,
    input: SendInput,
    id: string,
    seq: string,
    createdAt: Date,
  ): MessageRow {
    return {
      id,
      channel_id: channelId,
      seq,
      author_id: user.id,
      author_username: user.username,
      body: input.body,
      client_id: input.clientId ?? null,
      created_at: createdAt,
      edited_at: null,
      deleted_at: null,
    };
  }

  /** One transaction: check and lock the attachments, take the next seq, insert, attach. */
  private async insert(
    tx: EntityManager,
    user: Principal,
    channelId: string,
    input: SendInput,
  ): Promise<Message> {
    const attachmentIds = (input.attachmentIds ?? []).map((id) => id.toLowerCase());
    const files = await this.lockAttachments(tx, user, channelId, attachmentIds);
    // The row lock taken here serializes senders of this channel on every replica until commit;
    // a rollback gives the number back, so seqs have no gaps.
    const [channel] = await returning<{ last_seq: string }>(
      tx,
      'UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq',
      [channelId],
    );
    // DO NOTHING waits for a concurrent insert of the same clientId to commit, then skips.
    const [row] = await tx.query<{ id: string; created_at: Date }[]>(
      `INSERT INTO messages (channel_id, seq, author_id, body, client_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
       RETURNING id, created_at`,
      [channelId, channel.last_seq, user.id, input.body, input.clientId ?? null],
    );
    if (!row) throw new DuplicateClientId(input.clientId as string);
    if (files.length > 0) {
      await tx.query('UPDATE files SET message_id = $1 WHERE id = ANY($2::uuid[])', [row.id, attachmentIds]);
    }
    return toMessageDto(this.newRow(user, channelId, input, row.id, channel.last_seq, row.created_at), files);
  }

  /**
   * Each attachment: the author's own upload, to this channel, finished, not yet attached; locked
   * until commit so a concurrent send cannot attach it too. Answered in the order given.
   */
  private async lockAttachments(
    tx: EntityManager,
    user: Principal,
    channelId: string,
    ids: string[],
  ): Promise<FileRow[]> {
    if (ids.length === 0) return [];
    const rows: (FileRow & { status: string })[] = await tx.query(
      `SELECT id, channel_id, message_id, name, size, content_type, uploaded_by, created_at, status
         FROM files WHERE id = ANY($1::uuid[]) FOR UPDATE`,
      [ids],
    );
    return ids.map((id) => {
      const file = rows.find((r) => r.id === id);
      if (!file || file.uploaded_by !== user.id) throw MessageErrors.attachmentNotFound(id);
      if (file.channel_id !== channelId)
        throw MessageErrors.attachmentUnusable(id, 'was uploaded to another channel');
      if (file.status !== 'ready') throw MessageErrors.attachmentUnusable(id, 'has not finished uploading');
      if (file.message_id !== null)
        throw MessageErrors.attachmentUnusable(id, 'is already attached to a message');
      return file;
    });
  }

  private retried(original: Message, channelId: string): Message {
    if (original.channelId !== channelId) throw MessageErrors.clientIdElsewhere();
    return original;
  }

  /** The message if its channel is visible to the caller; NOT_FOUND (about the message) otherwise. */
  private async visibleRow(user: Principal, messageId: string): Promise<StoredMessageRow> {
    const row = await this.reader.row(messageId);
    if (!row) throw MessageErrors.notFound();
    try {
      await this.access.visible(user, row.channel_id);
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') throw MessageErrors.notFound();
      throw err;
    }
    return row;
  }

  private deleteRefusal(ref: ChannelRef): AppError {
    if (!ref.role && ref.kind === 'public') return new AppError('FORBIDDEN', 'Join the channel first');
    return MessageErrors.mayNotDelete();
  }
}
