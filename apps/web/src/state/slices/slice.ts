/**
 * One concern's part of the client state (the channel list, history, the outbox...): a value that
 * is replaced, never mutated, and announced when it changes. ChatStore composes the slices into
 * the one snapshot the UI reads; a component selects what it shows from it (ui/runtime.ts,
 * `useChat`) and re-renders only when that selection changes.
 */
export class Slice<S extends object> {
  private current: S;

  constructor(
    initial: S,
    private readonly changed: () => void,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  protected set(patch: Partial<S>): void {
    this.current = { ...this.current, ...patch };
    this.changed();
  }
}
