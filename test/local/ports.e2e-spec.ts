import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, bareEnv, exited, nodeTs, postmasterPid } from './support';

/**
 * `npm start` next to another program holding one of its ports, or given one that is not a port:
 * a clear message and exit status 1, fast, with nothing left running; never a stack trace or a
 * start that hangs.
 */
jest.setTimeout(120_000);

async function hold(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as { port: number }).port, server };
}

async function run(dataDir: string, ports: Record<string, string>) {
  const child = nodeTs('scripts/start-local.ts', [], {
    ...bareEnv({ LOG_LEVEL: 'warn', LOG_PRETTY: 'false' }),
    DATA_DIR: dataDir,
    AUTH_PORT: '0',
    GATEWAY_PORT: '0',
    MEDIA_PORT: '0',
    ...ports,
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await exited(child);
  clearTimeout(timer);
  return { code, out };
}

describe('npm start and its ports', () => {
  let dir: string;
  let held: { port: number; server: Server };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-ports-'));
    held = await hold();
  });
  afterEach(async () => {
    await new Promise((done) => held.server.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the chat's port and exits before starting anything", async () => {
    const { code, out } = await run(dir, { PORT: String(held.port) });
    expect(code).toBe(1);
    expect(out).toContain(
      `the front door cannot listen on 127.0.0.1:${held.port}: another process is listening on it (EADDRINUSE)`,
    );
    expect(out).toContain('choose other ports: PORT');
    expect(out).not.toMatch(/^\s+at /m); // no stack trace
    // Bound first: the embedded database was never started, so the data directory is untouched.
    expect(existsSync(join(dir, 'postgres'))).toBe(false);
  });

  it("names a service's port, and stops the embedded database it had started", async () => {
    const free = await hold();
    const port = free.port;
    await new Promise((done) => free.server.close(done));
    const { code, out } = await run(dir, { PORT: String(port), MEDIA_PORT: String(held.port) });
    expect(code).toBe(1);
    expect(out).toContain(
      `media cannot listen on 127.0.0.1:${held.port}: another process is listening on it (EADDRINUSE)`,
    );
    expect(out).not.toMatch(/^\s+at /m);
    // The database had started (its data is there), and was stopped with the rest.
    expect(existsSync(join(dir, 'postgres', 'PG_VERSION'))).toBe(true);
    const pid = postmasterPid(dir);
    expect(pid === undefined || !alive(pid)).toBe(true);
    // The chat's own port was let go: something else can listen on it now.
    const again = createServer();
    await new Promise<void>((done, fail) => {
      again.once('error', fail);
      again.listen(port, '127.0.0.1', done);
    });
    await new Promise((done) => again.close(done));
  });

  it('refuses a port that is not one, naming every bad variable, before starting anything', async () => {
    const { code, out } = await run(dir, { PORT: '80a', AUTH_PORT: '70000', MEDIA_PORT: '0' });
    expect(code).toBe(1);
    expect(out).toContain('PORT: must be a whole number from 0 to 65535');
    expect(out).toContain('AUTH_PORT: must be a whole number from 0 to 65535');
    expect(out).not.toContain('MEDIA_PORT');
    expect(out).not.toMatch(/^\s+at /m);
    expect(existsSync(join(dir, 'postgres'))).toBe(false);
  });

  it('says so when HOST is not an address of this machine', async () => {
    const { code, out } = await run(dir, { PORT: '0', HOST: 'no-such-host.invalid' });
    expect(code).toBe(1);
    // ENOTFOUND with a resolver, EAI_AGAIN on a machine without one.
    expect(out).toMatch(
      /the front door cannot listen on no-such-host\.invalid:0: (no such host \(ENOTFOUND\)|its name could not be looked up now \(EAI_AGAIN\))/,
    );
    expect(out).toContain('HOST is the address the chat listens on');
    expect(out).not.toMatch(/^\s+at /m);
    expect(existsSync(join(dir, 'postgres'))).toBe(false);
  });
});
