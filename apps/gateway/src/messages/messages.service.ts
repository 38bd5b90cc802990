import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  LIMITS,
  type Message,
  type MessageMentions,
  type MessagePage,
  type SyncChannelResult,
} from '@chat/contracts';
import { AppError, EVENT_BUS, type DomainEvents, type EventBus } from '@chat/platform';
import { AuditRepository, type AuditContext, type Principal } from '@chat/security';
import { ChannelAccess, type ChannelRef } from '../channels/channel-access';
import { ChannelErrors } from '../channels/channels.errors';
import { ChannelsService } from '../channels/channels.service';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { NotificationsService } from '../notifications/notifications.service';
import { TypingService } from '../presence/typing.service';
import { OutgoingWebhookEvents } from '../webhooks/outgoing/outgoing-webhook-events';
import { ChannelWriter } from './channel-writer';
import { MessageAccess } from './message-access';
import { MessageFanout } from './message-fanout';
import { toMessageDto, type MessageRow } from './message.mapper';
import { MessageReader, toMessage } from './message.reader';
import { MentionResolver } from './mention-resolver';
import { MessageErrors } from './messages.errors';
import { MessagesRepository, type AttachmentRow, type StoredMessageRow } from './messages.repository';
import { MessageUpdates } from './message-updates';
import { ThreadsService } from './threads.service';

/** The clientId turned out to be taken: thrown inside the send transaction to roll it back. */
class DuplicateClientId extends Error {
  constructor(readonly clientId: string) {
    super('duplicate clientId');
  }
}

/** A member's reply names no message it may go to: NOT_FOUND, unless it is a retry. */
class ThreadNotFound extends Error {
  constructor() {
    super('thread not found');
  }
}

export interface SendInput {
  body: string;
  clientId?: string;
  attachmentIds?: string[];
  /** A message of the channel to reply to; the send stores its root's id. */
  threadId?: string;
}

/** A send as stored: the thread resolved to its root, the mentions resolved to members. */
interface ResolvedSend extends SendInput {
  mentions: MessageMentions | null;
}

export interface HistoryInput {
  before?: number;
  after?: number;
  limit?: number;
  /** The page centred on this seq; not with before/after. */
  around?: number;
  /** Top-level messages only (no thread replies). */
  roots?: boolean;
}

export interface SearchInput {
  q?: string;
  channelId?: string;
  from?: string;
  /** ISO-8601 times, validated by the DTO. */
  before?: string;
  after?: string;
  has?: 'file';
  /** Only replies in this thread (its root's id). */
  threadId?: string;
}

/** Changed messages one `channel:sync` answers at most; past it the client reloads the channel. */
export const SYNC_CHANGES_MAX = 500;

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
    private readonly messageAccess: MessageAccess,
    private readonly threads: ThreadsService,
    private readonly mentions: MentionResolver,
    private readonly updates: MessageUpdates,
    private readonly notifications: NotificationsService,
    private readonly webhookEvents: OutgoingWebhookEvents,
    private readonly audit: AuditRepository,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe('file.deleted', (event) => this.fileDeleted(event));
    // The auth service erased a deleted account's messages (DELETE /auth/me with eraseMessages).
    this.bus.subscribe('messages.erased', ({ messages }) => {
      for (const m of messages) this.fanout.announceDeletedLocally(m);
    });
  }

  history(user: Principal, channelId: string, q: HistoryInput): Promise<MessagePage> {
    const limit = q.limit ?? LIMITS.pageLimitDefault;
    const { around } = q;
    if (around === undefined)
      return this.asMember(user, channelId, () =>
        this.reader.page(channelId, { ...q, limit, rootsOnly: q.roots === true }),
      );
    if (q.before !== undefined || q.after !== undefined) throw MessageErrors.aroundWithBounds();
    return this.asMember(user, channelId, () => this.reader.around(channelId, around, limit));
  }

  /**
   * Catch-up after a reconnect: everything after `afterSeq`, ascending, and with `changedSince`
   * the messages up to `afterSeq` that changed since then. `syncedAt` is read from the database's
   * clock before the changes, so the next sync's window overlaps this one rather than leaving a gap.
   */
  sync(
    user: Principal,
    channelId: string,
    afterSeq: number,
    limit?: number,
    changedSince?: string,
  ): Promise<SyncChannelResult> {
    return this.asMember(user, channelId, async () => {
      const syncedAt = await this.reader.now();
      const [page, changed] = await Promise.all([
        this.reader.page(channelId, { after: afterSeq, limit: limit ?? LIMITS.pageLimitMax }),
        changedSince === undefined
          ? Promise.resolve([])
          : this.reader.changedSince(channelId, afterSeq, new Date(changedSince), SYNC_CHANGES_MAX + 1),
      ]);
      return {
        ...page,
        changes: changed.slice(0, SYNC_CHANGES_MAX),
        changesHasMore: changed.length > SYNC_CHANGES_MAX,
        syncedAt: syncedAt.toISOString(),
      };
    });
  }

  /**
   * Sends a message. With a `clientId` the author already used, answers the original message and
   * publishes nothing (a retry, maybe through another replica after a reconnect). Membership is
   * checked by the write itself for a message without attachments.
   */
  async send(user: Principal, channelId: string, given: SendInput): Promise<Message> {
    let input: ResolvedSend;
    try {
      input = await this.resolve(user, channelId, given);
    } catch (err) {
      if (!(err instanceof ThreadNotFound)) throw err;
      // A retried reply whose root was deleted since: the original stands.
      const original = given.clientId ? await this.reader.byClientId(user.id, given.clientId) : null;
      if (!original) throw MessageErrors.notFound();
      return this.retried(original, channelId);
    }
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
    this.notifications.messageSent(message);
    if (message.threadId) this.updates.announce(message.threadId);
    return message;
  }

  /**
   * The root a reply goes to and the members the body mentions. A caller who may not send here
   * learns that (as a send without threadId would say) rather than whether the message exists.
   */
  private async resolve(user: Principal, channelId: string, input: SendInput): Promise<ResolvedSend> {
    const [threadId, mentions] = await Promise.all([
      input.threadId === undefined
        ? undefined
        : this.threads.rootFor(channelId, input.threadId).catch(async (err: unknown) => {
            if (!(err instanceof AppError && err.code === 'NOT_FOUND')) throw err;
            await this.access.member(user, channelId);
            throw new ThreadNotFound();
          }),
      this.mentions.resolve(channelId, input.body),
    ]);
    return { ...input, threadId, mentions };
  }

  async edit(user: Principal, messageId: string, body: string): Promise<Message> {
    const row = await this.visibleRow(user, messageId);
    await this.access.check(user, row.channel_id, 'post');
    if (row.author_id !== user.id) throw MessageErrors.notAuthor();
    if (row.deleted_at) throw MessageErrors.notFound();
    if (row.body === body) return toMessage(row);
    const mentions = await this.mentions.resolve(row.channel_id, body);
    // The body and what it mentions change together: an added mention counts, a removed one not.
    const edited = await this.messages.transaction(async (tx) => {
      if (!(await tx.editBody(messageId, body, mentions))) return false;
      await tx.replaceMentions(messageId);
      return true;
    });
    if (!edited) throw MessageErrors.notFound();
    const message = await this.reader.byId(messageId);
    if (!message) throw MessageErrors.notFound();
    // Through the message's gate: an edit racing a reply (or a pin) on another replica never
    // leaves a socket on the older state.
    this.updates.announce(messageId);
    this.webhookEvents.updated(message);
    return message;
  }

  /**
   * Deletes (idempotently): the author, the channel's owner, moderators and admins (not in an
   * archived channel). The row stays as a tombstone so its seq is not a gap; the body is erased,
   * which also drops it from search. Someone else's message is deleted with an audit record
   * (`context`: where the request came from) in the same transaction.
   */
  async remove(user: Principal, messageId: string, context: AuditContext): Promise<void> {
    const row = await this.visibleRow(user, messageId);
    const ref = await this.access.visible(user, row.channel_id);
    const isAuthor = row.author_id === user.id && ref.role !== null;
    const refused = this.access.reason(user, ref, isAuthor ? 'post' : 'moderate');
    if (refused === 'archived') throw ChannelErrors.archived();
    if (refused) throw this.deleteRefusal(ref);
    const seq = await this.messages.transaction(async (tx, sql) => {
      const tombstoned = await tx.tombstone(messageId);
      if (tombstoned === null) return null;
      await tx.dropMentions(messageId);
      if (row.author_id !== user.id)
        await this.audit.append(sql, {
          actor: { id: user.id, username: user.username },
          action: 'message.deleted_by_moderator',
          target: { type: 'message', id: messageId, name: null },
          details: { channelId: row.channel_id, seq: tombstoned, authorId: row.author_id },
          context,
        });
      return tombstoned;
    });
    if (seq !== null) {
      this.fanout.announceDeleted({ id: messageId, channelId: row.channel_id, seq });
      this.webhookEvents.deleted({ id: messageId, channelId: row.channel_id, seq });
    }
  }

  /**
   * Search over the caller's channels (or one of them), newest first: full-text, filtered by
   * author, time and attachments. `q` may be left out when a filter narrows the search.
   */
  async search(user: Principal, input: SearchInput): Promise<Message[]> {
    const { q, channelId } = input;
    const filters = {
      authorId: input.from,
      before: input.before === undefined ? undefined : new Date(input.before),
      after: input.after === undefined ? undefined : new Date(input.after),
      hasFile: input.has === 'file',
      threadId: input.threadId,
    };
    const filtered = Boolean(
      filters.authorId || filters.before || filters.after || filters.hasFile || filters.threadId,
    );
    if (q === undefined && !filtered) throw MessageErrors.searchNeedsQuery();
    if (channelId) return this.asMember(user, channelId, () => this.reader.search(q, [channelId], filters));
    return this.reader.search(q, await this.channels.memberChannelIds(user.id), filters);
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
  private async insertPlain(user: Principal, channelId: string, input: ResolvedSend): Promise<Message> {
    const draft = {
      authorId: user.id,
      body: input.body,
      clientId: input.clientId ?? null,
      threadId: input.threadId ?? null,
      mentions: input.mentions,
    };
    let outcome = await this.writer.write(channelId, draft);
    if (outcome === 'not-member' || outcome === 'archived') {
      // Why, in the contract's words (NOT_FOUND, or FORBIDDEN where the channel is visible);
      // unless the author became a member, or the channel was unarchived, meanwhile.
      await this.access.check(user, channelId, 'post');
      outcome = await this.writer.write(channelId, draft);
    }
    if (outcome === 'not-member') throw ChannelErrors.notMember();
    if (outcome === 'archived') throw ChannelErrors.archived();
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
    input: ResolvedSend,
  ): Promise<Message> {
    await this.access.check(user, channelId, 'post');
    if (input.clientId && (await this.reader.byClientId(user.id, input.clientId)))
      throw new DuplicateClientId(input.clientId);
    return this.messages.transaction((tx) => this.insert(tx, user, channelId, input));
  }

  private newRow(
    user: Principal,
    channelId: string,
    input: ResolvedSend,
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
      author_bot: user.bot ?? false,
      body: input.body,
      client_id: input.clientId ?? null,
      created_at: createdAt,
      edited_at: null,
      deleted_at: null,
      thread_id: input.threadId ?? null,
      mentions: input.mentions,
    };
  }

  /** One transaction: check and lock the attachments, take the next seq, insert, attach. */
  private async insert(
    tx: MessagesRepository,
    user: Principal,
    channelId: string,
    input: ResolvedSend,
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
    // The root stays locked until the commit: it cannot be deleted under the reply.
    if (input.threadId && !(await tx.isLiveRoot(input.threadId, channelId))) throw MessageErrors.notFound();
    const row = await tx.insertOne(channelId, seq, {
      authorId: user.id,
      body: input.body,
      clientId: input.clientId ?? null,
      threadId: input.threadId ?? null,
      mentions: input.mentions,
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
    return (await this.messageAccess.visible(user, messageId)).row;
  }

  private deleteRefusal(ref: ChannelRef): AppError {
    if (!ref.role && ref.kind === 'public') return ChannelErrors.joinFirst();
    return MessageErrors.mayNotDelete();
  }
}
