import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort } from '../../../scripts/lib/embedded';
import { sleep } from './servers';

export interface Memory {
  heapUsedMb: number;
  rssMb: number;
  externalMb: number;
}

/**
 * A gateway process started with the inspector on a loopback port, so the test can force a full
 * garbage collection before reading its memory: "memory flat afterwards" compares live heap, not
 * whatever garbage V8 had not collected yet.
 */
export interface InspectedService {
  url: string;
  child: ChildProcess;
  /** Full GC (twice), then process.memoryUsage() of the service, in MB. */
  memory(): Promise<Memory>;
  /** VmRSS from /proc (MB). */
  procRssMb(): number;
  stop(): Promise<void>;
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The inspector's WebSocket URL when started with `inspect`. */
  inspectorUrl?: string;
}

/**
 * One more gateway process of the stack, started by the test with settings of its own (e.g. a
 * shorter SHUTDOWN_GRACE_MS) and, when asked, the inspector on a loopback port.
 */
export async function spawnGateway(
  dist: string,
  env: NodeJS.ProcessEnv,
  opts: { inspect?: boolean } = {},
): Promise<GatewayProcess> {
  const port = await freePort();
  const args = [
    ...(opts.inspect ? ['--inspect=127.0.0.1:0'] : []),
    join(dist, 'apps', 'gateway', 'src', 'main.js'),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...env, GATEWAY_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${stderr}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`gateway not ready: ${stderr}`);
    await sleep(200);
  }
  const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
  if (opts.inspect && !inspectorUrl) throw new Error(`no inspector URL: ${stderr}`);
  return { url, child, exited, inspectorUrl };
}

export async function startInspectedGateway(dist: string, env: NodeJS.ProcessEnv): Promise<InspectedService> {
  const { url, child, inspectorUrl } = await spawnGateway(dist, env, { inspect: true });
  const ws = new WebSocket(inspectorUrl!);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: any) => void>();
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString());
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)!(msg.result);
      pending.delete(msg.id);
    }
  });
  const call = (method: string, params: object = {}): Promise<any> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });

  const procRssMb = () => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return Math.round(kb / 1024);
  };

  return {
    url,
    child,
    procRssMb,
    memory: async () => {
      await call('HeapProfiler.collectGarbage');
      await sleep(200);
      await call('HeapProfiler.collectGarbage');
      const res = await call('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      });
      const m = JSON.parse(res.result.value as string);
      const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
      return { heapUsedMb: mb(m.heapUsed), rssMb: mb(m.rss), externalMb: mb(m.external) };
    },
    stop: async () => {
      ws.close();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
