import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface Actor {
  name: string;
  /** User id (project) or the name again (baseline). */
  id: string;
  token: string;
}

/** Who takes part in each scenario, and in which channels. */
export interface Population {
  fanout: Actor[];
  rooms: Actor[];
  hot: Actor[];
  /** The big channel's members (--scenarios=big): one socket each. */
  big: Actor[];
  reader: Actor | null;
  channels: { fanout: string; rooms: string[]; hot: string; history: string | null; big: string };
}

export interface PopulationSize {
  fanout: number;
  rooms: number;
  roomSize: number;
  hot: number;
  /** Members of the one big channel (default 0: no big channel). */
  big?: number;
}

const PASSWORD = 'bench-password-1';

async function api<T>(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.ok) return (text ? JSON.parse(text) : {}) as T;
    // Set-up only: a transient overload is retried a few times, anything else is a bug.
    if ((res.status === 503 || res.status === 429) && attempt < 5) {
      await new Promise((r) => setTimeout(r, 200 * attempt));
      continue;
    }
    throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  }
}

async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export function baselinePopulation(size: PopulationSize): Population {
  const actors = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, id: `${prefix}${i}`, token: '' }));
  return {
    fanout: actors('f', size.fanout),
    rooms: actors('r', size.rooms),
    hot: actors('h', size.hot),
    big: actors('b', size.big ?? 0),
    reader: null,
    channels: {
      fanout: 'fanout',
      rooms: Array.from({ length: Math.ceil(size.rooms / size.roomSize) }, (_, g) => `room-${g}`),
      hot: 'hot',
      history: null,
      big: 'big',
    },
  };
}

/**
 * Real accounts through POST /auth/register (argon2 hashing makes this the slow part of set-up)
 * and real channels through the gateway's REST API: the fan-out channel, channels of `roomSize`,
 * the hot channel, the big channel and the history channel. Done once per run; both project
 * stacks share it.
 */
export async function projectPopulation(
  authUrl: string,
  gatewayUrl: string,
  size: PopulationSize,
  tag: string,
  log: (line: string) => void,
  /** Started as soon as the history channel exists (the seed), awaited before returning. */
  withHistoryChannel?: (reader: Actor, channelId: string) => Promise<unknown>,
): Promise<Population> {
  const register = async (name: string): Promise<Actor> => {
    const r = await api<{ user: { id: string }; accessToken: string }>(
      authUrl,
      'POST',
      '/auth/register',
      undefined,
      {
        username: name,
        password: PASSWORD,
      },
    );
    return { name, id: r.user.id, token: r.accessToken };
  };
  const create = (owner: Actor, name: string) =>
    api<{ id: string }>(gatewayUrl, 'POST', '/channels', owner.token, { name, kind: 'public' }).then(
      (c) => c.id,
    );
  const join = (actor: Actor, channelId: string) =>
    api(gatewayUrl, 'POST', `/channels/${channelId}/join`, actor.token);

  const reader = await register(`${tag}read`);
  const historyId = await create(reader, `${tag}-history`);
  // The seed runs in Postgres while argon2 keeps the auth service busy: they overlap.
  // Its failure is kept (not left unhandled while the registrations go on) and rethrown at the end.
  const history = withHistoryChannel?.(reader, historyId).then(
    () => null,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );

  const names = [
    ...Array.from({ length: size.fanout }, (_, i) => `${tag}f${i}`),
    ...Array.from({ length: size.rooms }, (_, i) => `${tag}r${i}`),
    ...Array.from({ length: size.hot }, (_, i) => `${tag}h${i}`),
    ...Array.from({ length: size.big ?? 0 }, (_, i) => `${tag}g${i}`),
  ];
  let done = 0;
  const t0 = Date.now();
  const actors = await pool(names, 8, async (name) => {
    const actor = await register(name);
    if (++done % 1000 === 0)
      log(`  registered ${done}/${names.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    return actor;
  });
  const fanout = actors.slice(0, size.fanout);
  const rooms = actors.slice(size.fanout, size.fanout + size.rooms);
  const hot = actors.slice(size.fanout + size.rooms, size.fanout + size.rooms + size.hot);
  const big = actors.slice(size.fanout + size.rooms + size.hot);

  // A scenario left out of the run (--scenarios) has no actors and no channel.
  const fanoutId = fanout.length ? await create(fanout[0], `${tag}-fanout`) : '';
  await pool(fanout.slice(1), 16, (a) => join(a, fanoutId));
  const groups = Math.ceil(rooms.length / size.roomSize);
  const roomIds = await pool(
    Array.from({ length: groups }, (_, g) => g),
    16,
    (g) => create(rooms[g * size.roomSize], `${tag}-room-${g}`),
  );
  const joiners = rooms.map((_, i) => i).filter((i) => i % size.roomSize !== 0);
  await pool(joiners, 16, (i) => join(rooms[i], roomIds[Math.floor(i / size.roomSize)]));
  const hotId = hot.length ? await create(hot[0], `${tag}-hot`) : '';
  await pool(hot.slice(1), 16, (a) => join(a, hotId));
  // Its own users: in another scenario's channels too, they would also be that scenario's
  // members (presence, rooms joined at connect) and change its figures.
  const bigId = big.length ? await create(big[0], `${tag}-big`) : '';
  await pool(big.slice(1), 16, (a) => join(a, bigId));
  const failed = await history;
  if (failed) throw failed;
  return {
    fanout,
    rooms,
    hot,
    big,
    reader,
    channels: { fanout: fanoutId, rooms: roomIds, hot: hotId, history: historyId, big: bigId },
  };
}

/** What the seed wrote, for the search filters to aim at (see seedHistory). */
export interface SeedResult {
  seconds: number;
  indexSeconds: number;
  /** created_at of seq n; seq s was created (n − s) seconds before it. */
  newestAt: string;
  /** Authors besides the reader: about 1 in 10 messages (`other`) and 1 in 1,000 (`rare`). */
  authors: { other: string; rare: string };
  /** Thread roots with 10 replies each (seq 100, 200, …), as message ids. */
  threadRoots: number;
  /** The root (seq 1) of one long thread: a reply every 1,000 messages. */
  longThread: { id: string; replies: number };
  /** Messages with one attached file (1 in 100). */
  files: number;
}

/** The seeded message id of `seq`: deterministic, so threads and files can name it in one pass. */
export const seededMessageId = (channelId: string, seq: number): string => seededId(`${channelId}:${seq}`);

/** md5 of `key` as a version-4 uuid (the API's `@IsUUID()` refuses other version digits). */
function seededId(key: string): string {
  const h = createHash('md5').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Bulk history for the history/search scenario, straight into Postgres: `messages` rows with
 * seqs 1..n, created one second apart, 8 words each from a skewed 2,000-word vocabulary
 * (`w0` is in about half the messages, most words in well under 1 %). For the search filters:
 * two more authors (1 in 10 messages, 1 in 1,000; users that cannot log in), a thread of 10
 * replies under every 100th message (seq 100k is a root, 100k+1…100k+10 its replies, 10 % of the
 * messages are replies), one long thread under seq 1 (a reply every 1,000 messages), and a ready
 * file attached to 1 message in 100 (`files.message_id`). Message ids are uuids made from
 * md5(channel:seq) (seededMessageId), so replies and files name their message in the same
 * statement. The full-text GIN index is dropped for the load and rebuilt from its own definition
 * (faster than maintaining it row by row), then `channels.last_seq` is set and the tables analyzed.
 */
export async function seedHistory(
  databaseUrl: string,
  channelId: string,
  authorId: string,
  n: number,
): Promise<SeedResult> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const t0 = performance.now();
    const suffix = randomBytes(4).toString('hex');
    const author = async (name: string) =>
      (
        await db.query<{ id: string }>(
          // '!' is no argon2 hash: these authors exist for `from=` and can never log in.
          `INSERT INTO users (username, password_hash) VALUES ($1, '!') RETURNING id`,
          [`seed-${name}-${suffix}`],
        )
      ).rows[0].id;
    const authors = { other: await author('other'), rare: await author('rare') };
    const { rows } = await db.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexdef ILIKE '%using gin%'`,
    );
    for (const r of rows) await db.query(`DROP INDEX ${r.indexname}`);
    const word = `'w' || floor(2000 * pow(random(), 3))::int`;
    // $6 / $4: the channel id again, as text (a parameter has one type; $1 is the uuid column's).
    // The same version-4 uuid as seededId, in SQL.
    const id = (seq: string, p = '$6') =>
      `(SELECT overlay(overlay(h placing '4' from 13) placing '8' from 17)::uuid
          FROM md5(${p}::text || ':' || (${seq})) AS h)`;
    // Roots at seq 100k (k ≥ 1) with replies 100k+1…100k+10; the long thread's root is seq 1,
    // its replies every seq ≡ 550 (mod 1000), which is neither a root nor a short thread's reply.
    await db.query(
      `INSERT INTO messages (id, channel_id, seq, author_id, body, created_at, thread_id, reply_count, last_reply_at)
       SELECT ${id('g')}, $1, g,
              CASE WHEN g % 1000 = 5 THEN $5::uuid WHEN g % 10 = 3 THEN $4::uuid ELSE $2::uuid END,
              concat_ws(' ', ${Array.from({ length: 8 }, () => word).join(', ')}),
              now() - make_interval(secs => $3 - g),
              CASE WHEN g >= 100 AND g % 100 BETWEEN 1 AND 10 THEN ${id('g - g % 100')}
                   WHEN g % 1000 = 550 THEN ${id('1')} END,
              CASE WHEN g % 100 = 0 THEN LEAST(10, $3 - g)
                   WHEN g = 1 THEN greatest(0, ($3 - 550) / 1000 + 1) ELSE 0 END,
              CASE WHEN g % 100 = 0 AND g < $3 THEN now() - make_interval(secs => $3 - LEAST(g + 10, $3))
                   WHEN g = 1 AND $3 >= 550 THEN now() - make_interval(secs => ($3 - 550) % 1000) END
         FROM generate_series(1, $3::int) AS g`,
      [channelId, authorId, n, authors.other, authors.rare, channelId],
    );
    const files = await db.query(
      `INSERT INTO files (channel_id, uploaded_by, name, size, content_type, object_key, status, message_id, created_at)
       SELECT $1, $2, 'seed-' || g || '.txt', 1024, 'text/plain', 'seed/' || $4 || '/' || g, 'ready', ${id('g', '$4')},
              now() - make_interval(secs => $3 - g)
         FROM generate_series(7, $3::int, 100) AS g`,
      [channelId, authorId, n, channelId],
    );
    const t1 = performance.now();
    await db.query(`SET maintenance_work_mem = '256MB'`);
    for (const r of rows) await db.query(r.indexdef);
    const indexSeconds = (performance.now() - t1) / 1000;
    await db.query(`UPDATE channels SET last_seq = $2 WHERE id = $1`, [channelId, n]);
    await db.query(`VACUUM ANALYZE messages`);
    await db.query(`VACUUM ANALYZE files`);
    const newest = await db.query<{ created_at: Date }>(
      `SELECT created_at FROM messages WHERE channel_id = $1 AND seq = $2`,
      [channelId, n],
    );
    return {
      seconds: (performance.now() - t0) / 1000,
      indexSeconds,
      newestAt: newest.rows[0].created_at.toISOString(),
      authors,
      threadRoots: Math.floor((n - 1) / 100),
      longThread: {
        id: seededMessageId(channelId, 1),
        replies: n >= 550 ? Math.floor((n - 550) / 1000) + 1 : 0,
      },
      files: files.rowCount ?? 0,
    };
  } finally {
    await db.end();
  }
}
