import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/embedded';
import { startFrontDoor } from '../../scripts/lib/front-door';
import { startAuth, type Running } from '../support/apps';
import { newUser, startGateway, type TestUser } from '../support/gateway';
import { startMedia } from '../support/media';
import { HOSTILE_REQUESTS, judge, type Target } from './support/http-fuzz-cases';
import { rawRequest } from './support/raw-http';

/**
 * Malformed HTTP, sent over raw TCP (nothing normalizes it), to the front door and to each service
 * directly; after every request the target must still answer its health check. Each hostile
 * request gets a 4xx in the contract's error shape, or a closed connection where Node's HTTP parser
 * itself refuses it; never a 5xx, never a stack trace, never a crash (an uncaught exception here
 * would end the jest worker). docs/reliability.md, "HTTP edge fuzzing and clean stop", lists them.
 */
describe('security: hostile HTTP at the edge of every server', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let media: Running;
  let door: Server;
  let targets: Target[];
  let alice: TestUser;

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    [gw, media] = await Promise.all([
      startGateway(auth, { REDIS_URL: '' }),
      startMedia(auth, { REDIS_URL: '' }),
    ]);
    alice = await newUser(auth.url, 'fuzz');
    const webRoot = mkdtempSync(join(tmpdir(), 'chat-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>chat</title>');
    writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
    // A sibling sharing the root's name as a prefix: `/../web-x/secret` must not reach it.
    mkdirSync(`${webRoot}-x`);
    writeFileSync(join(`${webRoot}-x`, 'secret.txt'), 'root:x:0:0');
    const port = await freePort();
    door = await startFrontDoor({ port, auth: auth.url, media: media.url, gateways: [gw.url], webRoot });
    const doorUrl = `http://127.0.0.1:${port}`;
    const sibling = `${webRoot.split('/').pop()}-x`;
    targets = [
      { name: 'front door', url: doorUrl, health: '/auth/.well-known/jwks.json', door: true, sibling },
      { name: 'auth', url: auth.url, health: '/healthz' },
      { name: 'gateway', url: gw.url, health: '/healthz' },
      { name: 'media', url: media.url, health: '/healthz' },
    ];
  });

  afterAll(async () => {
    door?.closeAllConnections();
    await new Promise((r) => door?.close(r));
    await Promise.all([gw?.close(), media?.close()]);
    await auth?.close();
  });

  const names = HOSTILE_REQUESTS.map((c) => c.name);
  /** What each target answered each case: HTTP_FUZZ_REPORT=<file> writes it (docs/reliability.md's table). */
  const seen: { target: string; case: string; status: number | null; closed: boolean; ms: number }[] = [];
  afterAll(() => {
    if (process.env.HTTP_FUZZ_REPORT)
      writeFileSync(process.env.HTTP_FUZZ_REPORT, JSON.stringify(seen, null, 1));
  });

  it.each(['front door', 'auth', 'gateway', 'media'])(
    '%s: every hostile request is refused with a 4xx (or a closed connection) and the server still answers',
    async (name) => {
      const target = targets.find((t) => t.name === name)!;
      const failures: string[] = [];
      for (const c of HOSTILE_REQUESTS) {
        if (c.only && !c.only.includes(name)) continue;
        const sent = c.build({ ...target, token: alice.token });
        const answer = await rawRequest(target.url, sent.bytes, sent.opts);
        seen.push({
          target: name,
          case: c.name,
          status: answer.status,
          closed: answer.closed,
          ms: answer.ms,
        });
        const verdict = judge(c, answer);
        if (verdict) failures.push(`${c.name}: ${verdict}`);
        const health = await fetch(target.url + target.health);
        if (health.status !== 200) failures.push(`${c.name}: health check answered ${health.status}`);
      }
      expect(failures).toEqual([]);
    },
    120_000,
  );

  it('covers what the issue lists', () => {
    for (const needed of ['/%E0', 'overlong URL', 'FOO', 'CONNECT', 'TRACE', 'truncated JSON', 'nested']) {
      expect(names.some((n) => n.includes(needed))).toBe(true);
    }
  });
});
