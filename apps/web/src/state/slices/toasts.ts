import { Slice } from './slice';

export interface Toast {
  id: number;
  text: string;
  /** `message`: a new message elsewhere (a `notification` while the page is visible), clickable. */
  kind: 'error' | 'info' | 'message';
  /** Where a click on a message toast leads: the channel, at that message. */
  link?: { channelId: string; seq: number };
  /** What a message toast is about ("Mention", "Direct message"...), shown before its text. */
  label?: string;
}

export interface ToastsState {
  toasts: Toast[];
}

/** Short notices for the user (what failed, what happened elsewhere); the newest four are kept. */
export class ToastsSlice extends Slice<ToastsState> {
  private seq = 0;

  constructor(changed: () => void) {
    super({ toasts: [] }, changed);
  }

  notify(text: string, kind: Toast['kind'] = 'error'): void {
    const toast = { id: ++this.seq, text, kind };
    this.set({ toasts: [...this.state.toasts.filter((t) => t.text !== text), toast].slice(-4) });
  }

  /**
   * A new message in another channel: one toast per channel, the newest replacing the one before,
   * so a burst in one busy channel does not push every other notice off the screen.
   */
  message(label: string, text: string, channelId: string, seq: number): void {
    const toast: Toast = { id: ++this.seq, text, label, kind: 'message', link: { channelId, seq } };
    const others = this.state.toasts.filter((t) => t.link?.channelId !== channelId);
    this.set({ toasts: [...others, toast].slice(-4) });
  }

  dismiss(id: number): void {
    this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) });
  }
}
