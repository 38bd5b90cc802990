import type { Ack } from './errors';
import type { Channel, Message, Notification, Reaction } from './objects';

/** socket.io event names. Client commands are `entity:verb`; server pushes are past tense or nouns. */
export const CLIENT_EVENTS = {
  messageSend: 'message:send',
  messageEdit: 'message:edit',
  messageDelete: 'message:delete',
  channelSync: 'channel:sync',
  channelRead: 'channel:read',
  typing: 'typing',
  presenceSubscribe: 'presence:subscribe',
  threadRead: 'thread:read',
  reactionAdd: 'reaction:add',
  reactionRemove: 'reaction:remove',
} as const;

export const SERVER_EVENTS = {
  messageNew: 'message:new',
  messageUpdated: 'message:updated',
  messageDeleted: 'message:deleted',
  typing: 'typing',
  presence: 'presence',
  channelJoined: 'channel:joined',
  channelLeft: 'channel:left',
  channelUpdated: 'channel:updated',
  memberJoined: 'member:joined',
  memberLeft: 'member:left',
  sessionEnded: 'session:ended',
  threadUpdated: 'thread:updated',
  messageReactions: 'message:reactions',
  notification: 'notification',
} as const;

export interface SendMessagePayload {
  channelId: string;
  body: string;
  clientId?: string;
  attachmentIds?: string[];
  /** Reply in the thread of this top-level message of the same channel (a reply's id means its root). */
  threadId?: string;
}
export interface EditMessagePayload {
  messageId: string;
  body: string;
}
export interface DeleteMessagePayload {
  messageId: string;
}
export interface SyncChannelPayload {
  channelId: string;
  afterSeq: number;
  limit?: number;
  /**
   * The `syncedAt` of this channel's previous sync: the ack's `changes` then lists the messages up
   * to `afterSeq` that changed since (edits, deletions, reactions, pins, reply counts).
   */
  changedSince?: string;
}
/** `channel:sync` acknowledgement body. */
export interface SyncChannelResult {
  /** Messages with seq > afterSeq, ascending. */
  messages: Message[];
  hasMore: boolean;
  /** Messages with seq ≤ afterSeq changed since `changedSince` (oldest change first); [] without it. */
  changes: Message[];
  /** More changed than one ack carries: reload the channel's pages instead of patching them. */
  changesHasMore: boolean;
  /** Server time to pass as `changedSince` next time. */
  syncedAt: string;
}
export interface ReadChannelPayload {
  channelId: string;
  seq: number;
}
/** `thread:read`: replies of the thread up to `seq` are read (`threadId`: the root or a reply of it). */
export interface ReadThreadPayload {
  threadId: string;
  seq: number;
}
/** `thread:updated`: the user's thread read marker moved (pushed to their own sockets). */
export interface ThreadUpdatedEvent {
  /** The root's id. */
  threadId: string;
  channelId: string;
  lastReadSeq: number;
  unreadReplies: number;
  /** Followed threads with unread replies, all channels. */
  unreadThreads: number;
}
export interface TypingPayload {
  channelId: string;
  typing: boolean;
}

/** `reaction:add` / `reaction:remove`. */
export interface ReactionPayload {
  messageId: string;
  emoji: string;
}
/** `message:reactions`: a message's reactions after a change. */
export interface MessageReactionsEvent {
  messageId: string;
  channelId: string;
  reactions: Reaction[];
}

/** Replaces this socket's presence subscriptions; `[]` clears them. */
export interface PresenceSubscribePayload {
  userIds: string[];
}

export interface TypingEvent {
  channelId: string;
  userId: string;
  username: string;
  typing: boolean;
}
export interface PresenceEvent {
  userId: string;
  username: string;
  online: boolean;
}
export interface MessageDeletedEvent {
  id: string;
  channelId: string;
  seq: number;
}
export interface ChannelLeftEvent {
  channelId: string;
}
/**
 * Pushed just before the server closes a socket whose session is over (the access token expired,
 * or the user was banned): refresh the token and reconnect, or go to the login screen.
 */
export interface SessionEndedEvent {
  code: 'UNAUTHORIZED';
  message: string;
}
export interface MemberEvent {
  channelId: string;
  userId: string;
  username: string;
}

type Cb<T extends object = object> = (ack: Ack<T>) => void;

/** Client → server commands; every one takes an acknowledgement callback. */
export interface ClientToServerEvents {
  'message:send': (payload: SendMessagePayload, ack: Cb<{ message: Message }>) => void;
  'message:edit': (payload: EditMessagePayload, ack: Cb<{ message: Message }>) => void;
  'message:delete': (payload: DeleteMessagePayload, ack: Cb) => void;
  'channel:sync': (payload: SyncChannelPayload, ack: Cb<SyncChannelResult>) => void;
  'channel:read': (payload: ReadChannelPayload, ack: Cb) => void;
  typing: (payload: TypingPayload, ack: Cb) => void;
  /** Ack: which of the subscribed users are online now; `presence` pushes follow their changes. */
  'presence:subscribe': (payload: PresenceSubscribePayload, ack: Cb<{ online: string[] }>) => void;
  'thread:read': (payload: ReadThreadPayload, ack: Cb) => void;
  /** Idempotent; the change is pushed as `message:reactions`. */
  'reaction:add': (payload: ReactionPayload, ack: Cb) => void;
  'reaction:remove': (payload: ReactionPayload, ack: Cb) => void;
}

/** Server → client pushes. */
export interface ServerToClientEvents {
  'message:new': (message: Message) => void;
  'message:updated': (message: Message) => void;
  'message:deleted': (event: MessageDeletedEvent) => void;
  typing: (event: TypingEvent) => void;
  presence: (event: PresenceEvent) => void;
  'channel:joined': (channel: Channel) => void;
  'channel:left': (event: ChannelLeftEvent) => void;
  'channel:updated': (channel: Channel) => void;
  'member:joined': (event: MemberEvent) => void;
  'member:left': (event: MemberEvent) => void;
  'session:ended': (event: SessionEndedEvent) => void;
  'thread:updated': (event: ThreadUpdatedEvent) => void;
  'message:reactions': (event: MessageReactionsEvent) => void;
  /** A new message concerns this user under their `notify` level (never their own, never muted). */
  notification: (event: Notification) => void;
}
