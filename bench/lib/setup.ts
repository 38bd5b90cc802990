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
  reader: Actor | null;
  channels: { fanout: string; rooms: string[]; hot: string; history: string | null };
}

export interface PopulationSize {
  fanout: number;
  rooms: number;
  roomSize: number;
  hot: number;
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
    reader: null,
    channels: {
      fanout: 'fanout',
      rooms: Array.from({ length: Math.ceil(size.rooms / size.roomSize) }, (_, g) => `room-${g}`),
      hot: 'hot',
      history: null,
    },
  };
}

/**
 * Real accounts through POST /auth/register (argon2 hashing makes this the slow part of set-up)
 * and real channels through the gateway's REST API: the fan-out channel, channels of `roomSize`,
 * the hot channel and the history channel. Done once per run; both project stacks share it.
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
  const hot = actors.slice(size.fanout + size.rooms);

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
  const failed = await history;
  if (failed) throw failed;
  return {
    fanout,
    rooms,
    hot,
    reader,
    channels: { fanout: fanoutId, rooms: roomIds, hot: hotId, history: historyId },
  };
}

/**
 * Bulk history for the history/search scenario, straight into Postgres: `messages` rows with
 * seqs 1..n, created one second apart, 8 words each from a skewed 2,000-word vocabulary
 * (`w0` is in about half the messages, most words in well under 1 %). The full-text GIN index
 * is dropped for the load and rebuilt from its own definition (faster than maintaining it row by
 * row), then `channels.last_seq` is set and the table analyzed.
 */
export async function seedHistory(
  databaseUrl: string,
  channelId: string,
  authorId: string,
  n: number,
): Promise<{ seconds: number; indexSeconds: number }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const t0 = performance.now();
    const { rows } = await db.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexdef ILIKE '%using gin%'`,
    );
    for (const r of rows) await db.query(`DROP INDEX ${r.indexname}`);
    const word = `'w' || floor(2000 * pow(random(), 3))::int`;
    await db.query(
      `INSERT INTO messages (channel_id, seq, author_id, body, created_at)
       SELECT $1, g, $2, concat_ws(' ', ${Array.from({ length: 8 }, () => word).join(', ')}),
              now() - make_interval(secs => $3 - g)
         FROM generate_series(1, $3::int) AS g`,
      [channelId, authorId, n],
    );
    const t1 = performance.now();
    await db.query(`SET maintenance_work_mem = '256MB'`);
    for (const r of rows) await db.query(r.indexdef);
    const indexSeconds = (performance.now() - t1) / 1000;
    await db.query(`UPDATE channels SET last_seq = $2 WHERE id = $1`, [channelId, n]);
    await db.query(`VACUUM ANALYZE messages`);
    return { seconds: (performance.now() - t0) / 1000, indexSeconds };
  } finally {
    await db.end();
  }
}
