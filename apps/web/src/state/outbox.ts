import type { FileInfo, Message } from '@chat/contracts';
import { LIMITS } from '@chat/contracts';

/**
 * Messages the user wrote that the server has not confirmed yet. Each carries a `clientId`, the
 * contract's idempotency key: sending it again after a lost ack or a reconnect returns the original
 * message instead of a second copy, so the queue may resend freely.
 */
export type PendingStatus = 'queued' | 'sending' | 'failed';

export interface PendingMessage {
  clientId: string;
  channelId: string;
  body: string;
  attachments: FileInfo[];
  createdAt: string;
  status: PendingStatus;
  /** A reply in the thread of this root message (shown in the thread panel, not the channel). */
  threadId?: string;
  /** Why the server refused it (status "failed"). */
  error?: string;
}

export type Outbox = PendingMessage[];

export function enqueue(box: Outbox, msg: Omit<PendingMessage, 'status'>): Outbox {
  if (box.some((p) => p.clientId === msg.clientId)) return box;
  return [...box, { ...msg, status: 'queued' }];
}

function patch(box: Outbox, clientId: string, change: Partial<PendingMessage>): Outbox {
  let hit = false;
  const next = box.map((p) => {
    if (p.clientId !== clientId) return p;
    hit = true;
    return { ...p, ...change };
  });
  return hit ? next : box;
}

export const markSending = (box: Outbox, clientId: string) =>
  patch(box, clientId, { status: 'sending', error: undefined });
/** Not delivered for a reason that may pass (offline, timeout): it goes again on the next flush. */
export const markQueued = (box: Outbox, clientId: string) =>
  patch(box, clientId, { status: 'queued', error: undefined });
/** Refused by the server (validation, forbidden...): kept for the user to retry or discard. */
export const markFailed = (box: Outbox, clientId: string, error: string) =>
  patch(box, clientId, { status: 'failed', error });

export function remove(box: Outbox, clientId: string): Outbox {
  const next = box.filter((p) => p.clientId !== clientId);
  return next.length === box.length ? box : next;
}

/** Drops the pending entries that confirmed messages (ours, same clientId) stand for. */
export function reconcile(box: Outbox, confirmed: Message[], myUserId: string): Outbox {
  const done = new Set(
    confirmed.filter((m) => m.author.id === myUserId && m.clientId).map((m) => m.clientId as string),
  );
  if (done.size === 0) return box;
  const next = box.filter((p) => !done.has(p.clientId));
  return next.length === box.length ? box : next;
}

/** What to send on a flush, oldest first (the order the user typed them in). */
export const toSend = (box: Outbox): PendingMessage[] => box.filter((p) => p.status === 'queued');

/** A channel's pending top-level messages (replies wait in their thread panel). */
export const forChannel = (box: Outbox, channelId: string): PendingMessage[] =>
  box.filter((p) => p.channelId === channelId && !p.threadId);

export const forThread = (box: Outbox, rootId: string): PendingMessage[] =>
  box.filter((p) => p.threadId === rootId);

/** A random idempotency key (a UUID fits the 64-char limit). */
export function newClientId(random: () => string = () => crypto.randomUUID()): string {
  return random().slice(0, LIMITS.clientIdMax);
}

/** Reads a persisted outbox, dropping anything malformed; "sending" goes back to "queued". */
export function restore(raw: string | null): Outbox {
  if (!raw) return [];
  try {
    const data = JSON.parse(raw) as unknown;
    if (!Array.isArray(data)) return [];
    return data
      .filter(
        (p): p is PendingMessage =>
          !!p &&
          typeof (p as PendingMessage).clientId === 'string' &&
          typeof (p as PendingMessage).channelId === 'string' &&
          typeof (p as PendingMessage).body === 'string',
      )
      .map((p) => ({
        ...p,
        attachments: Array.isArray(p.attachments) ? p.attachments : [],
        threadId: typeof p.threadId === 'string' ? p.threadId : undefined,
        status: p.status === 'failed' ? 'failed' : 'queued',
      }));
  } catch {
    return [];
  }
}
