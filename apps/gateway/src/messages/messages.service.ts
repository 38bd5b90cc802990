import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { LIMITS, type Message, type MessagePage } from '@chat/contracts';
import { AppError, EVENT_BUS, type DomainEvents, type EventBus } from '@chat/platform';
import type { Principal } from '@chat/security';
import { ChannelAccess, type ChannelRef } from '../channels/channel-access';
import { ChannelErrors } from '../channels/channels.errors';
import { ChannelsService } from '../channels/channels.service';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { TypingService } from '../presence/typing.service';
import { ChannelWriter } from './channel-writer';
import { MessageFanout } from './message-fanout';
import { toMessageDto, type MessageRow } from './message.mapper';
import { MessageReader, toMessage } from './message.reader';
import { MessageErrors } from './messages.errors';
import { MessagesRepository, type AttachmentRow, type StoredMessageRow } from './messages.repository';

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
    private readonly messages: MessagesRepository,
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
    if (!(await this.messages.editBody(messageId, body))) throw MessageErrors.notFound();
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
    if (!isAuthor && !this.access.allows(user, ref, 'moderate')) throw this.deleteRefusal(ref);
    const seq = await this.messages.tombstone(messageId);
    if (seq !== null) this.fanout.announceDeleted({ id: messageId, channelId: row.channel_id, seq });
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
    return this.messages.transaction((tx) => this.insert(tx, user, channelId, input));
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
    tx: MessagesRepository,
    user: Principal,
    channelId: string,
    input: SendInput,
  ): Promise<Message> {
    const attachmentIds = input.attachmentIds ?? [];
    const files = this.usableAttachments(
      user,
      channelId,
      attachmentIds,
      await tx.lockAttachments(attachmentIds),
    );
    const seq = await tx.nextSeq(channelId);
    if (seq === null) throw ChannelErrors.notFound();
    const row = await tx.insertOne(channelId, seq, {
      authorId: user.id,
      body: input.body,
      clientId: input.clientId ?? null,
    });
    if (!row) throw new DuplicateClientId(input.clientId as string);
    if (files.length > 0) await tx.attach(row.id, attachmentIds);
    return toMessageDto(this.newRow(user, channelId, input, row.id, seq, row.created_at), files);
  }

  /**
   * Each attachment (locked until commit): the author's own upload, to this channel, finished, not
   * yet attached. Answered in the order given.
   */
  private usableAttachments(
    user: Principal,
    channelId: string,
    ids: string[],
    rows: AttachmentRow[],
  ): AttachmentRow[] {
    return ids.map((id) => {
      const file = rows.find((r) => r.id === id);
      if (!file || file.uploadedBy !== user.id) throw MessageErrors.attachmentNotFound(id);
      if (file.channelId !== channelId)
        throw MessageErrors.attachmentUnusable(id, 'was uploaded to another channel');
      if (file.status !== 'ready') throw MessageErrors.attachmentUnusable(id, 'has not finished uploading');
      if (file.messageId !== null)
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
    if (!ref.role && ref.kind === 'public') return ChannelErrors.joinFirst();
    return MessageErrors.mayNotDelete();
  }
}
