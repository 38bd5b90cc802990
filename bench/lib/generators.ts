import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Request } from '../generator';
import { spawnNode } from './pinning';

/** The load-generator processes and a request/response channel to each (IPC). */
export class GeneratorPool {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly procs: ChildProcess[]) {
    for (const p of procs) {
      p.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
        const waiting = this.pending.get(msg.id);
        if (!waiting) return;
        this.pending.delete(msg.id);
        if (msg.error) waiting.reject(new Error(`generator ${p.pid}: ${msg.error}`));
        else waiting.resolve(msg.result);
      });
      // A send to a generator that died (Ctrl+C reaches it too) must fail its call, not the process.
      p.on('error', (err) => {
        for (const [id, w] of this.pending) {
          this.pending.delete(id);
          w.reject(new Error(`generator ${p.pid}: ${err.message}`));
        }
      });
      p.once('exit', (code) => {
        for (const [id, w] of this.pending) {
          this.pending.delete(id);
          w.reject(new Error(`generator ${p.pid} exited (${code})`));
        }
      });
    }
  }

  /** `count` generator processes, each under `taskset -c <cpus>` when given. */
  static async start(count: number, cpus: string | null = null): Promise<GeneratorPool> {
    const procs = Array.from({ length: count }, () =>
      spawnNode(join(__dirname, '..', 'generator.js'), cpus, {
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(procs.map((p) => new Promise((resolve) => p.once('spawn', resolve))));
    return new GeneratorPool(procs);
  }

  get size(): number {
    return this.procs.length;
  }

  pids(): number[] {
    return this.procs.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  call<T>(index: number, req: Request, timeoutMs: number): Promise<T> {
    const id = ++this.nextId;
    const proc = this.procs[index];
    if (!proc.connected) return Promise.reject(new Error(`generator ${proc.pid} is gone`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`generator ${proc.pid}: ${req.cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      proc.send({ id, req }, (err) => {
        if (!err) return;
        this.pending.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  all<T>(req: (index: number) => Request, timeoutMs: number): Promise<T[]> {
    return Promise.all(this.procs.map((_, i) => this.call<T>(i, req(i), timeoutMs)));
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.procs.map((_, i) => this.call(i, { cmd: 'exit' }, 3000)));
    await new Promise((r) => setTimeout(r, 200));
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
}
