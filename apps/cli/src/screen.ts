import { createInterface, clearScreenDown, cursorTo, moveCursor, type Interface } from 'node:readline';
import { Writable } from 'node:stream';

/** The user left (Ctrl+C, Ctrl+D, end of input) while a question was open. */
export class Quit extends Error {
  override readonly name = 'Quit';
}

/**
 * readline's output, which can be muted: while a password is typed, readline's echo of it goes
 * nowhere. Everything the CLI writes goes through here too, so writes stay in order.
 */
class MutableOutput extends Writable {
  muted = false;
  constructor(private readonly target: NodeJS.WritableStream & { columns?: number; rows?: number }) {
    super();
    // readline re-wraps the input line on resize; it listens on its output.
    (target as NodeJS.EventEmitter).on?.('resize', () => this.emit('resize'));
  }
  get columns(): number | undefined {
    return this.target.columns;
  }
  get rows(): number | undefined {
    return this.target.rows;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!this.muted) this.target.write(chunk);
    done();
  }
}

/**
 * The terminal: lines scroll above, the input line (prompt + what the user is typing) stays at
 * the bottom. A line printed while the user types is written above the input, which is then
 * redrawn as it was, cursor included. Built on node:readline only.
 */
export class Screen {
  private readonly rl: Interface;
  private readonly out: MutableOutput;
  private readonly terminal: boolean;
  /** The input line is on screen (chat mode): prints go above it. */
  private live = false;
  private hiding = false;
  private pendingAsk: ((err: Error) => void) | null = null;
  private closed = false;
  private lineHandler: (line: string) => void = () => undefined;
  private quitHandler: () => void = () => undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream & { isTTY?: boolean },
    output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  ) {
    this.terminal = !!input.isTTY && !!output.isTTY;
    this.out = new MutableOutput(output);
    this.rl = createInterface({ input, output: this.out, terminal: this.terminal, historySize: 100 });
    // A password must not be reachable with the up arrow.
    this.rl.on('history', (history: string[]) => {
      if (this.hiding) history.shift();
    });
    this.rl.on('line', (line) => this.lineHandler(line));
    // Ctrl+C (raw mode turns it into this event), Ctrl+D on an empty line or the end of the input.
    this.rl.on('SIGINT', () => this.quit());
    this.rl.on('close', () => this.quit());
  }

  get isTerminal(): boolean {
    return this.terminal;
  }

  /** What the user has typed so far on the input line. */
  get line(): string {
    return this.rl.line;
  }

  onLine(handler: (line: string) => void): void {
    this.lineHandler = handler;
  }

  onQuit(handler: () => void): void {
    this.quitHandler = handler;
  }

  /** Every key the user presses on the input line (after readline has applied it). */
  onKeypress(handler: () => void): void {
    if (this.terminal) this.input.on('keypress', () => handler());
  }

  /** One question on its own line; `hidden` does not echo the answer. Rejects with Quit. */
  ask(question: string, hidden = false): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Quit());
      this.pendingAsk = reject;
      const done = (answer: string) => {
        this.pendingAsk = null;
        if (hidden && this.terminal) {
          this.out.muted = false;
          this.hiding = false;
          this.out.write('\n');
        }
        resolve(answer);
      };
      if (hidden && this.terminal) {
        this.out.write(question);
        this.out.muted = true;
        this.hiding = true;
        this.rl.question('', done);
      } else {
        this.rl.question(question, done);
      }
    });
  }

  /** Shows the input line from now on (chat mode). */
  start(prompt: string): void {
    this.live = true;
    this.rl.setPrompt(prompt);
    if (this.terminal) this.rl.prompt(true);
  }

  /** Replaces the prompt (it carries the channel, typing and unread hints), keeping what is typed. */
  setPrompt(prompt: string): void {
    if (this.rl.getPrompt() === prompt) return;
    this.rl.setPrompt(prompt);
    if (this.live && this.terminal && !this.closed) this.rl.prompt(true);
  }

  /** Prints `text` (one or more lines) above the input line. */
  print(text: string): void {
    if (this.closed) return;
    if (!this.live || !this.terminal) {
      this.out.write(`${text}\n`);
      return;
    }
    // Clear the input line (which may wrap over several rows) from its first row down, and print.
    const { rows } = this.rl.getCursorPos();
    if (rows > 0) moveCursor(this.out, 0, -rows);
    cursorTo(this.out, 0);
    clearScreenDown(this.out);
    // readline's redraw first moves up as many rows as it last recorded (`prevRows`, which it does
    // not update while characters are appended): leave that many rows below the printed text so
    // the redraw starts right under it. The rows are filled again by the redrawn input line.
    const redrawUp = (this.rl as unknown as { prevRows?: number }).prevRows ?? 0;
    this.out.write(`${text}\n${'\n'.repeat(redrawUp)}`);
    this.rl.prompt(true);
  }

  /** Leaves the terminal as it was: input line gone, raw mode off, stdin released. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.muted = false;
    if (this.live && this.terminal) {
      const { rows } = this.rl.getCursorPos();
      if (rows > 0) moveCursor(this.out, 0, -rows);
      cursorTo(this.out, 0);
      clearScreenDown(this.out);
    }
    this.live = false;
    this.rl.close();
  }

  /** Prints after the input line is gone (the last words before exiting). */
  write(text: string): void {
    this.out.write(`${text}\n`);
  }

  /** Leave as Ctrl+C would (a signal, or the session ending). */
  requestQuit(): void {
    this.quit();
  }

  private quit(): void {
    if (this.closed) return;
    const reject = this.pendingAsk;
    this.pendingAsk = null;
    this.out.muted = false;
    if (reject) {
      if (this.hiding && this.terminal) this.out.write('\n');
      this.hiding = false;
      reject(new Quit());
    }
    this.quitHandler();
  }
}
