import type {
  Channel,
  Member,
  Message,
  MessagePage,
  Notification,
  SendMessagePayload,
  ServerToClientEvents,
  SyncChannelResult,
  ThreadList,
  User,
} from '@chat/contracts';

/** `PUT /channels/:id/preferences` body: either field alone changes only itself. */
export type ChannelPreferences = Partial<Pick<Channel, 'notify' | 'muted'>>;

/** The pushes about chat state the store handles; `session:ended` belongs to the connection. */
export type ChatEvents = Omit<ServerToClientEvents, 'session:ended'>;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** The socket commands the store uses (implemented by realtime/connection.ts, faked in tests). */
export interface RealtimePort {
  readonly connected: boolean;
  send(payload: SendMessagePayload): Promise<Message>;
  edit(messageId: string, body: string): Promise<Message>;
  remove(messageId: string): Promise<void>;
  /** With `changedSince` (the previous answer's `syncedAt`), also what changed in what we hold. */
  sync(
    channelId: string,
    afterSeq: number,
    limit?: number,
    changedSince?: string,
  ): Promise<Partial<SyncChannelResult> & { messages: Message[]; hasMore: boolean }>;
  read(channelId: string, seq: number): Promise<void>;
  readThread(threadId: string, seq: number): Promise<void>;
  react(messageId: string, emoji: string, add: boolean): Promise<void>;
  typing(channelId: string, typing: boolean): void;
  /** Replaces the users whose presence this connection follows; resolves with those online now. */
  followPresence(userIds: string[]): Promise<string[]>;
}

/** The REST calls the store uses (implemented by api/chat-api.ts, faked in tests). */
export interface RestPort {
  channels(): Promise<Channel[]>;
  publicChannels(search?: string): Promise<Channel[]>;
  createChannel(name: string, kind: 'public' | 'private', topic?: string): Promise<Channel>;
  join(channelId: string): Promise<Channel>;
  leave(channelId: string): Promise<unknown>;
  members(channelId: string): Promise<Member[]>;
  addMember(channelId: string, userId: string): Promise<Member>;
  removeMember(channelId: string, userId: string): Promise<unknown>;
  openDm(userId: string): Promise<Channel>;
  searchUsers(prefix: string): Promise<User[]>;
  history(
    channelId: string,
    opts?: { before?: number; after?: number; limit?: number },
  ): Promise<MessagePage>;
  /** The page centred on `seq` (permalinks). */
  around(channelId: string, seq: number): Promise<MessagePage>;
  /** A thread's replies, ascending by seq. */
  replies(rootId: string, after?: number): Promise<MessagePage>;
  /** Threads the caller follows, newest activity first. */
  myThreads(): Promise<ThreadList>;
  /** `PUT /channels/:id/preferences`: the caller's notify level and mute; the channel as they see it. */
  setPreferences(channelId: string, prefs: ChannelPreferences): Promise<Channel>;
}

/**
 * Where a `notification` goes while the page is hidden: the system's notification centre
 * (ui/attention.ts), which shows it only if the person granted permission.
 */
export interface NotifierPort {
  system(n: Notification): void;
}
