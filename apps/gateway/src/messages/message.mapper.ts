import { DELETED_USER_NAME, type Message, type MessageMentions, type Reaction } from '@chat/contracts';
import { toFileDto, type FileRecord } from '@chat/domain';

/** A message row joined with its author's username. */
export interface MessageRow {
  id: string;
  channel_id: string;
  seq: string | number;
  author_id: string;
  author_username: string;
  /** Absent in a row that does not select it: a person. */
  author_bot?: boolean | null;
  /** The author deleted their account: shown as DELETED_USER_NAME. Absent: a live account. */
  author_deactivated?: boolean | null;
  body: string;
  client_id: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  /** Threads, reactions, mentions and pins (issue #16): absent in a row that does not select them. */
  thread_id?: string | null;
  reply_count?: number | string | null;
  last_reply_at?: Date | null;
  reactions?: Reaction[] | null;
  mentions?: MessageMentions | null;
  pinned_at?: Date | null;
  /**
   * updated_at (else created_at) in microseconds: grows with every committed change of the message,
   * the version its pushes are ordered by (MessageGate). Never sent to clients.
   */
  version?: string | number | null;
}

/** The only way a message leaves the gateway. A deleted one keeps its seq and loses its content. */
export function toMessageDto(row: MessageRow, files: readonly FileRecord[]): Message {
  const deleted = row.deleted_at !== null;
  return {
    id: row.id,
    channelId: row.channel_id,
    seq: Number(row.seq),
    author: {
      id: row.author_id,
      username: row.author_deactivated ? DELETED_USER_NAME : row.author_username,
      bot: row.author_bot ?? false,
    },
    body: deleted ? '' : row.body,
    attachments: deleted ? [] : files.map(toFileDto),
    clientId: row.client_id,
    createdAt: row.created_at.toISOString(),
    editedAt: row.edited_at ? row.edited_at.toISOString() : null,
    deleted,
    threadId: row.thread_id ?? null,
    replyCount: Number(row.reply_count ?? 0),
    lastReplyAt: row.last_reply_at ? row.last_reply_at.toISOString() : null,
    reactions: deleted ? [] : (row.reactions ?? []),
    mentions: deleted ? { userIds: [], channel: false } : (row.mentions ?? { userIds: [], channel: false }),
    pinned: !deleted && Boolean(row.pinned_at),
  };
}
