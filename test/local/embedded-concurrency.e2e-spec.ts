import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack';
import { request, uniqueName, type JsonResponse } from '../support/apps';
import { connect, send, type TestSocket, type TestUser } from '../support/gateway';
import { alive, bareEnv, postmasterPid } from './support';

/**
 * The one-command default (`npm start`: no DATABASE_URL, REDIS_URL or S3_ENDPOINT, so an embedded
 * PostgreSQL, in-process fan-out and s3rver) under a team acting at the same moment: every pair of
 * people opening their DM from both sides at once, hundreds of sends in parallel over sockets, and
 * uploads during both. Every answer is checked: no INTERNAL, nothing left unanswered (each request
 * has a deadline), and the stack still stops within 10 s.
 */
const PEOPLE = 14; // 91 pairs: 182 concurrent POST /dms
const SENDS_EACH = 20; // 280 sends in parallel (the default limit is 20 commands per second per user)
const DEADLINE_MS = 20_000;

jest.setTimeout(180_000);

describe('embedded default under a team acting at once', () => {
  let dataDir: string;
  let stack: LocalStack | undefined;
  let base: string;
  const people: TestUser[] = [];
  const sockets: TestSocket[] = [];
  let general: string;

  const call = async (
    user: TestUser,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<JsonResponse> => {
    const res = await Promise.race([
      request(base, method, path, { token: user.token, body }),
      new Promise<never>((_, fail) =>
        setTimeout(
          () => fail(new Error(`${method} ${path} unanswered after ${DEADLINE_MS} ms`)),
          DEADLINE_MS,
        ).unref(),
      ),
    ]);
    return res;
  };

  const upload = async (user: TestUser, channelId: string, i: number): Promise<JsonResponse> => {
    const form = new FormData();
    form.append('channelId', channelId);
    form.append('file', new Blob([`notes ${i} `.repeat(2000)], { type: 'text/plain' }), `notes-${i}.txt`);
    const res = await fetch(`${base}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      body: form,
      signal: AbortSignal.timeout(DEADLINE_MS),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  const expectAll = (answers: JsonResponse[], status: number) => {
    const wrong = answers.filter((a) => a.status !== status);
    expect(wrong.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chat-local-concurrency-'));
    stack = await startLocalStack({ port: 0, dataDir, env: bareEnv() });
    base = stack.url;
    expect(stack.env.DATABASE_URL).toMatch(/^postgres:\/\/postgres:.*@127\.0\.0\.1:\d+\/postgres$/);
    expect(stack.env.REDIS_URL ?? '').toBe('');
    const registered = await Promise.all(
      Array.from({ length: PEOPLE }, () =>
        request(base, 'POST', '/auth/register', {
          body: { username: uniqueName('team'), password: 'password-123' },
        }),
      ),
    );
    expectAll(registered, 201);
    for (const r of registered)
      people.push({ id: r.body.user.id, username: r.body.user.username, token: r.body.accessToken });
    sockets.push(...(await Promise.all(people.map((p) => connect(base, p.token)))));
    const created = await call(people[0], 'POST', '/channels', {
      name: uniqueName('general'),
      kind: 'public',
    });
    expect(created.status).toBe(201);
    general = created.body.id;
    expectAll(
      await Promise.all(people.slice(1).map((p) => call(p, 'POST', `/channels/${general}/join`))),
      200,
    );
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    const pid = postmasterPid(dataDir);
    const started = Date.now();
    await stack?.stop();
    const took = Date.now() - started;
    rmSync(dataDir, { recursive: true, force: true });
    expect(took).toBeLessThan(10_000);
    if (pid) expect(alive(pid)).toBe(false);
  });

  it('opens every DM from both sides at once, with uploads going on, and gets one DM per pair', async () => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < PEOPLE; i++) for (let j = i + 1; j < PEOPLE; j++) pairs.push([i, j]);
    const dms = pairs.flatMap(([i, j]) => [
      call(people[i], 'POST', '/dms', { userId: people[j].id }),
      call(people[j], 'POST', '/dms', { userId: people[i].id }),
    ]);
    const uploads = people.map((p, i) => upload(p, general, i));
    const [dmAnswers, uploadAnswers] = await Promise.all([Promise.all(dms), Promise.all(uploads)]);
    expect(dmAnswers).toHaveLength(pairs.length * 2);
    expectAll(dmAnswers, 200);
    expectAll(uploadAnswers, 201);
    // Both sides of a pair got the same DM, and no two pairs share one.
    const ids = pairs.map((_, k) => {
      expect(dmAnswers[2 * k + 1].body.id).toBe(dmAnswers[2 * k].body.id);
      return dmAnswers[2 * k].body.id as string;
    });
    expect(new Set(ids).size).toBe(pairs.length);
  });

  it('takes hundreds of sends in parallel over sockets, with uploads going on, gap-free and each once', async () => {
    const acks = people.flatMap((p, i) =>
      Array.from({ length: SENDS_EACH }, (_, k) =>
        send(
          sockets[i],
          'message:send',
          { channelId: general, body: `m ${i}.${k}`, clientId: `c-${i}-${k}` },
          DEADLINE_MS,
        ),
      ),
    );
    const uploads = people.map((p, i) => upload(p, general, 100 + i));
    const [sent, uploaded] = await Promise.all([Promise.all(acks), Promise.all(uploads)]);
    const failed = sent.filter((a) => !a.ok);
    expect(failed.map((a) => JSON.stringify(a))).toEqual([]);
    expectAll(uploaded, 201);

    // The history holds each send exactly once, numbered without gaps.
    const seqs: number[] = [];
    const bodies = new Set<string>();
    let before: number | undefined;
    for (;;) {
      const page = await call(
        people[0],
        'GET',
        `/channels/${general}/messages?limit=100${before ? `&before=${before}` : ''}`,
      );
      expect(page.status).toBe(200);
      for (const m of page.body.messages) {
        seqs.push(m.seq);
        bodies.add(m.body);
      }
      if (!page.body.hasMore || !page.body.messages.length) break;
      before = page.body.messages[0].seq;
    }
    expect(bodies.size).toBe(PEOPLE * SENDS_EACH);
    const sorted = [...seqs].sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: sorted.length }, (_, k) => sorted[0] + k));
  });
});
