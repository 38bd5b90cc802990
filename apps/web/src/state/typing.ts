import type { TypingEvent } from '@chat/contracts';
import { LIMITS } from '@chat/contracts';

/**
 * Who is typing where. The server stops relaying after 5 s without renewal and may never send the
 * final `typing: false` (a closed tab), so every entry expires on its own.
 */
export interface Typist {
  userId: string;
  username: string;
  expiresAt: number;
}

/** channelId → userId → typist. */
export type TypingState = Record<string, Record<string, Typist>>;

export function applyTyping(
  state: TypingState,
  e: TypingEvent,
  now: number,
  ttlMs: number = LIMITS.typingExpiresMs,
): TypingState {
  const channel = state[e.channelId] ?? {};
  if (e.typing) {
    return {
      ...state,
      [e.channelId]: {
        ...channel,
        [e.userId]: { userId: e.userId, username: e.username, expiresAt: now + ttlMs },
      },
    };
  }
  if (!channel[e.userId]) return state;
  const { [e.userId]: _gone, ...rest } = channel;
  return { ...state, [e.channelId]: rest };
}

/** A user who just sent a message has stopped typing in that channel. */
export function clearTypist(state: TypingState, channelId: string, userId: string): TypingState {
  return applyTyping(state, { channelId, userId, username: '', typing: false }, 0);
}

/** Removes expired entries; returns the same object when nothing expired. */
export function pruneTyping(state: TypingState, now: number): TypingState {
  let changed = false;
  const next: TypingState = {};
  for (const [channelId, users] of Object.entries(state)) {
    const kept: Record<string, Typist> = {};
    for (const [userId, t] of Object.entries(users)) {
      if (t.expiresAt > now) kept[userId] = t;
      else changed = true;
    }
    if (Object.keys(kept).length) next[channelId] = kept;
    else if (Object.keys(users).length === 0) changed = true;
  }
  return changed ? next : state;
}

export function typingNames(state: TypingState, channelId: string, now: number): string[] {
  return Object.values(state[channelId] ?? {})
    .filter((t) => t.expiresAt > now)
    .map((t) => t.username)
    .sort((a, b) => a.localeCompare(b));
}

/** "alice is typing…", "alice and bob are typing…", "alice, bob and 2 others are typing…". */
export function describeTyping(names: string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others are typing…`;
}

/**
 * Decides when this client tells others it is typing: `true` on the first keystroke, renewed
 * while keystrokes continue before the server's 5 s expiry, `false` when the text is sent, the
 * box is emptied or loses focus. One instance per composer; the clock is injected for tests.
 */
export class TypingSender {
  private channelId: string | null = null;
  private lastSentAt = 0;

  constructor(
    private readonly emit: (channelId: string, typing: boolean) => void,
    private readonly now: () => number = Date.now,
    /** Renew this long after the last `true`: well inside the 5 s expiry. */
    private readonly renewMs = LIMITS.typingExpiresMs - 1500,
  ) {}

  /** A keystroke that leaves text in the box of `channelId`. */
  input(channelId: string): void {
    if (this.channelId && this.channelId !== channelId) this.stop();
    const t = this.now();
    if (this.channelId === channelId && t - this.lastSentAt < this.renewMs) return;
    this.channelId = channelId;
    this.lastSentAt = t;
    this.emit(channelId, true);
  }

  /** Sent, emptied, blurred, or switched away. */
  stop(): void {
    if (!this.channelId) return;
    const c = this.channelId;
    this.channelId = null;
    this.lastSentAt = 0;
    this.emit(c, false);
  }

  get active(): boolean {
    return this.channelId !== null;
  }
}
