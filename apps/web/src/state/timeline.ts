import type { Message, MessageDeletedEvent, MessageReactionsEvent } from '@chat/contracts';
import { sameReactions } from './reactions';

/**
 * One channel's history as the client holds it: messages ascending by `seq`, each seq once.
 * Everything arrives through several doors (history pages, live pushes, catch-up syncs, acks of
 * our own sends), in any order and sometimes twice; these functions fold them into one view.
 * Pure and immutable: each returns a new timeline (or the same object when nothing changed).
 */
export interface Timeline {
  messages: Message[];
  /** The server has messages older than messages[0]. */
  hasOlder: boolean;
}

export const emptyTimeline = (): Timeline => ({ messages: [], hasOlder: true });

/**
 * Which of two copies of the same message is newer. Deletion is final; otherwise the later edit
 * wins; on a tie the incoming copy does (it is the fresher read of the same state).
 */
export function newer(current: Message, incoming: Message): Message {
  if (current.deleted !== incoming.deleted) return current.deleted ? current : incoming;
  const a = current.editedAt ? Date.parse(current.editedAt) : 0;
  const b = incoming.editedAt ? Date.parse(incoming.editedAt) : 0;
  return b >= a ? incoming : current;
}

function sameContent(a: Message, b: Message): boolean {
  return (
    a === b ||
    (a.id === b.id &&
      a.seq === b.seq &&
      a.deleted === b.deleted &&
      a.editedAt === b.editedAt &&
      a.body === b.body &&
      a.attachments.length === b.attachments.length &&
      // Pushed as message:updated without an edit: a reply count, a pin, reactions.
      a.replyCount === b.replyCount &&
      a.lastReplyAt === b.lastReplyAt &&
      a.pinned === b.pinned &&
      sameReactions(a.reactions, b.reactions))
  );
}

/** Merges messages into a sorted, de-duplicated list (by seq, and by id). */
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return existing;
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  const seqById = new Map<string, number>(existing.map((m) => [m.id, m.seq]));
  let changed = false;
  for (const m of incoming) {
    const knownSeq = seqById.get(m.id);
    if (knownSeq !== undefined && knownSeq !== m.seq) bySeq.delete(knownSeq); // should not happen; trust the latest
    const cur = bySeq.get(m.seq);
    const next = cur ? newer(cur, m) : m;
    if (cur && sameContent(cur, next)) continue;
    bySeq.set(m.seq, next);
    seqById.set(m.id, m.seq);
    changed = true;
  }
  if (!changed) return existing;
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export function addMessages(t: Timeline, incoming: Message[]): Timeline {
  const messages = mergeMessages(t.messages, incoming);
  return messages === t.messages ? t : { ...t, messages };
}

/** A page of older history (GET ...?before=): also tells whether there is more before it. */
export function addOlderPage(t: Timeline, page: Message[], hasMore: boolean): Timeline {
  return { messages: mergeMessages(t.messages, page), hasOlder: hasMore };
}

/** The newest page, loaded when a channel is first opened. */
export function fromLatestPage(page: Message[], hasMore: boolean): Timeline {
  return { messages: mergeMessages([], page), hasOlder: hasMore };
}

/** An edit pushed live: only applies to a message we hold (a missing one comes with the next sync). */
export function applyUpdate(t: Timeline, m: Message): Timeline {
  const cur = t.messages.find((x) => x.id === m.id || x.seq === m.seq);
  if (!cur) return t;
  return addMessages(t, [m]);
}

export function applyDeletion(t: Timeline, e: MessageDeletedEvent): Timeline {
  const idx = t.messages.findIndex((x) => x.id === e.id);
  if (idx < 0) return t;
  const cur = t.messages[idx];
  if (cur.deleted) return t;
  const messages = t.messages.slice();
  messages[idx] = { ...cur, deleted: true, body: '', attachments: [] };
  return { ...t, messages };
}

/** A `message:reactions` push: the message's reactions replaced, if we hold it. */
export function applyReactions(t: Timeline, e: MessageReactionsEvent): Timeline {
  const idx = t.messages.findIndex((x) => x.id === e.messageId);
  if (idx < 0) return t;
  const cur = t.messages[idx];
  if (cur.deleted || sameReactions(cur.reactions, e.reactions)) return t;
  const messages = t.messages.slice();
  messages[idx] = { ...cur, reactions: e.reactions };
  return { ...t, messages };
}

export const firstSeq = (t: Timeline): number | null => t.messages[0]?.seq ?? null;
export const lastSeq = (t: Timeline): number => t.messages[t.messages.length - 1]?.seq ?? 0;

/**
 * The highest seq up to which we hold every message, counting from the oldest one we hold. Live
 * pushes can run ahead of it after a missed event; catch-up starts from here.
 */
export function contiguousEnd(t: Timeline): number {
  const ms = t.messages;
  if (ms.length === 0) return 0;
  let end = ms[0].seq;
  for (let i = 1; i < ms.length; i++) {
    if (ms[i].seq !== end + 1) break;
    end = ms[i].seq;
  }
  return end;
}

/** Whether messages are missing between the oldest and the newest we hold. */
export const hasGap = (t: Timeline): boolean => contiguousEnd(t) !== lastSeq(t);

/**
 * Whether a live message can be shown right away, or reveals that we missed something: seq must
 * follow straight on from what we hold (`knownLastSeq` is the channel's last seq as we know it,
 * for channels whose history is not loaded).
 */
export function isInOrder(t: Timeline | undefined, incomingSeq: number, knownLastSeq: number): boolean {
  const last = t && t.messages.length ? contiguousEnd(t) : knownLastSeq;
  return incomingSeq <= last + 1;
}
