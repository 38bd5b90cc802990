import type { FileInfo, Message } from '@chat/contracts';
import { LIMITS } from '@chat/contracts';
import { ApiError, describeError } from '../../api/errors';
import * as outbox from '../outbox';
import type { Outbox } from '../outbox';
import type { RealtimePort } from '../ports';
import { Slice } from './slice';

/** Refusals that will not change by sending again: the user decides (edit, retry, discard). */
const FINAL_REFUSALS = new Set([
  'VALIDATION',
  'FORBIDDEN',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'CONFLICT',
]);

export interface OutboxState {
  outbox: Outbox;
}

export interface OutboxStorage {
  load(): Outbox;
  save(box: Outbox): void;
}

/** What the outbox needs from the rest of the store. */
export interface OutboxContext {
  rt: RealtimePort;
  now: () => number;
  storage?: OutboxStorage;
  /** The server confirmed a message we sent. */
  delivered(m: Message): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** The text a message goes out with: a files-only message carries the file names (see MessageList). */
export function messageText(body: string, attachments: FileInfo[]): string {
  return body.trim() || attachments.map((a) => a.name).join(', ');
}

/**
 * Messages written and not yet confirmed: sent one at a time in the order written whenever the
 * socket is up, kept across reloads (through `storage`), resent with the same clientId after a
 * lost ack, and held for the user's decision when the server refuses one.
 */
export class OutboxSlice extends Slice<OutboxState> {
  private flushing: Promise<void> | null = null;
  private retryTimer: unknown = null;

  constructor(
    private readonly ctx: OutboxContext,
    changed: () => void,
  ) {
    super({ outbox: ctx.storage?.load() ?? [] }, changed);
  }

  protected override set(patch: Partial<OutboxState>): void {
    const prev = this.state.outbox;
    super.set(patch);
    if (patch.outbox && patch.outbox !== prev) this.ctx.storage?.save(patch.outbox);
  }

  /** Queues a message (text from `messageText`) and starts sending. */
  queue(channelId: string, text: string, attachments: FileInfo[], threadId?: string): void {
    const box = outbox.enqueue(this.state.outbox, {
      clientId: outbox.newClientId(),
      channelId,
      ...(threadId ? { threadId } : {}),
      body: text.slice(0, LIMITS.messageBodyMax),
      attachments,
      createdAt: new Date(this.ctx.now()).toISOString(),
    });
    this.set({ outbox: box });
    void this.flush();
  }

  retry(clientId: string): void {
    this.set({ outbox: outbox.markQueued(this.state.outbox, clientId) });
    void this.flush();
  }

  discard(clientId: string): void {
    this.set({ outbox: outbox.remove(this.state.outbox, clientId) });
  }

  /** Messages seen on the server (pushed, synced, paged) are no longer pending. */
  reconcile(messages: Message[], myUserId: string): void {
    const box = outbox.reconcile(this.state.outbox, messages, myUserId);
    if (box !== this.state.outbox) this.set({ outbox: box });
  }

  forget(channelId: string): void {
    const box = this.state.outbox.filter((p) => p.channelId !== channelId);
    if (box.length !== this.state.outbox.length) this.set({ outbox: box });
  }

  /** Sends queued messages one at a time, in the order they were written. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const run = (async () => {
      for (;;) {
        const next = outbox.toSend(this.state.outbox)[0];
        if (!next || !this.ctx.rt.connected) return;
        this.set({ outbox: outbox.markSending(this.state.outbox, next.clientId) });
        try {
          const m = await this.ctx.rt.send({
            channelId: next.channelId,
            body: next.body,
            clientId: next.clientId,
            ...(next.threadId ? { threadId: next.threadId } : {}),
            ...(next.attachments.length ? { attachmentIds: next.attachments.map((a) => a.id) } : {}),
          });
          this.ctx.delivered(m);
          this.set({ outbox: outbox.remove(this.state.outbox, next.clientId) });
        } catch (err) {
          if (err instanceof ApiError && FINAL_REFUSALS.has(err.code)) {
            this.set({ outbox: outbox.markFailed(this.state.outbox, next.clientId, describeError(err)) });
            continue;
          }
          // Offline, timeout, rate limited: keep it queued and try again a little later.
          this.set({ outbox: outbox.markQueued(this.state.outbox, next.clientId) });
          this.retryLater(err instanceof ApiError && err.retryAfter ? err.retryAfter * 1000 : 3_000);
          return;
        }
      }
    })();
    // Cleared after the assignment: a run that ends without awaiting must not leave a stale promise.
    this.flushing = run.finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private retryLater(ms: number): void {
    if (!this.ctx.setTimer || this.retryTimer !== null) return;
    this.retryTimer = this.ctx.setTimer(() => {
      this.retryTimer = null;
      void this.flush();
    }, ms);
  }

  dispose(): void {
    if (this.retryTimer !== null) this.ctx.clearTimer?.(this.retryTimer);
  }
}
