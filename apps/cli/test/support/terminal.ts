import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real pseudo-terminal, driven the way a person uses one: a detached tmux session runs the
 * command, keys are typed with send-keys, and the screen is read back with capture-pane (text only,
 * colours dropped, scrollback included, wrapped lines joined).
 */
export class Terminal {
  /** A tmux server of its own (its socket file is removed on close). */
  private readonly socket = join(tmpdir(), `chat-cli-${process.pid}-${randomBytes(4).toString('hex')}.tmux`);
  private readonly session = 'cli';

  /** `command` runs in `sh -c`; its exit status is shown as `[exited N]` when it ends. */
  static async open(command: string, env: Record<string, string> = {}): Promise<Terminal> {
    const t = new Terminal();
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // The pane stays after the command ends, so its last words and exit status can be read.
    const script = `${command}; echo "[exited $?]"; sleep 3600`;
    await t.tmux('new-session', '-d', '-s', t.session, '-x', '150', '-y', '45', ...envArgs, script);
    await t.tmux('set-option', '-t', t.session, 'history-limit', '20000');
    return t;
  }

  private async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.socket, '-f', '/dev/null', ...args]);
    return stdout;
  }

  /** Types text as is (no key names), without Enter. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', this.session, '-l', text);
  }

  /** Presses keys by tmux name: `Enter`, `C-c`, `C-u`, `C-d`. */
  async press(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', this.session, ...keys);
  }

  async typeLine(text: string): Promise<void> {
    await this.type(text);
    await this.press('Enter');
  }

  /** Everything on screen and in the scrollback. */
  async screen(): Promise<string> {
    const out = await this.tmux('capture-pane', '-p', '-J', '-t', this.session, '-S', '-');
    return out.replace(/\s+$/, '');
  }

  /** The bottom line with text on it (where the prompt and the typed input are). */
  async lastLine(): Promise<string> {
    const lines = (await this.screen()).split('\n').filter((l) => l.trim() !== '');
    return lines[lines.length - 1] ?? '';
  }

  /** Waits until the screen satisfies `check` (a regexp or a predicate); returns the screen. */
  async waitFor(
    check: RegExp | ((screen: string) => boolean),
    what?: string,
    timeoutMs = 15_000,
  ): Promise<string> {
    const ok = typeof check === 'function' ? check : (s: string) => check.test(s);
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = await this.screen();
      if (ok(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what ?? String(check)}; the terminal shows:\n${screen}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the command to end; its exit status. */
  async exitCode(timeoutMs = 15_000): Promise<number> {
    const screen = await this.waitFor(/\[exited \d+\]/, 'the command to exit', timeoutMs);
    return Number(/\[exited (\d+)\]/.exec(screen)![1]);
  }

  close(): void {
    try {
      execFileSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
    rmSync(this.socket, { force: true });
  }
}

/** How many times `needle` occurs in `haystack`. */
export function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}
