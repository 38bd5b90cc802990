import { Slice } from './slice';

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
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

  dismiss(id: number): void {
    this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) });
  }
}
