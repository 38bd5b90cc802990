import type { Message, TypingEvent } from '@chat/contracts';
import type { RealtimePort } from '../ports';
import { applyTyping, clearTypist, pruneTyping, TypingSender, type TypingState } from '../typing';
import { Slice } from './slice';

export interface TypingSliceState {
  typing: TypingState;
}

/** Who is typing where (from `typing` pushes), and when we tell others that we are. */
export class TypingSlice extends Slice<TypingSliceState> {
  readonly sender: TypingSender;

  constructor(
    rt: RealtimePort,
    private readonly now: () => number,
    changed: () => void,
  ) {
    super({ typing: {} }, changed);
    this.sender = new TypingSender((channelId, typing) => rt.typing(channelId, typing), now);
  }

  /** A `typing` push from someone else. */
  apply(e: TypingEvent): void {
    this.put(applyTyping(this.state.typing, e, this.now()));
  }

  /** The authors of new messages have stopped typing there. */
  posted(channelId: string, messages: Message[]): void {
    let typing = this.state.typing;
    for (const m of messages) typing = clearTypist(typing, channelId, m.author.id);
    this.put(typing);
  }

  /** Drops typists whose notice expired (a closed tab never says it stopped). */
  prune(): void {
    this.put(pruneTyping(this.state.typing, this.now()));
  }

  private put(typing: TypingState): void {
    if (typing !== this.state.typing) this.set({ typing });
  }
}
