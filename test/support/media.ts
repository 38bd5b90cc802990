import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import S3rver from 's3rver';
import type { FileInfo, HttpErrorBody, Role } from '@chat/contracts';
import { createMediaApp } from '../../apps/media/src/bootstrap';
import { loadMediaConfig, type MediaConfig } from '../../apps/media/src/config';
import { freePort } from '../../scripts/lib/embedded';
import { listen, testEnv, type JsonResponse, type Running } from './apps';

/** A success body or the contract's error body, as a test sees either. */
export type Answer<T> = T & Partial<HttpErrorBody>;

export interface RunningMedia extends Running {
  config: MediaConfig;
}

/**
 * A media service on a free port, verifying tokens against `auth`'s JWKS, storing into the run's
 * s3rver (or wherever `overrides` point). The bucket is created at start-up.
 */
export async function startMedia(
  auth: { jwksUrl: string },
  overrides: Record<string, string> = {},
): Promise<RunningMedia> {
  const config = loadMediaConfig(
    testEnv({ AUTH_JWKS_URL: auth.jwksUrl, S3_CREATE_BUCKET: 'true', ...overrides }),
  );
  const running = await listen(await createMediaApp(config));
  return { ...running, config };
}

export interface TestStore {
  url: string;
  /** Stops answering (connections refused), keeping the data. */
  stop(): Promise<void>;
  /** Serves the same data on the same port again. */
  start(): Promise<void>;
}

/**
 * An s3rver of a test's own, which it may stop and restart on the same port (the run's shared one
 * must stay up for the other suites). Like every s3rver it does not verify signatures.
 */
export async function startStore(): Promise<TestStore> {
  const directory = mkdtempSync(join(tmpdir(), 'chat-s3-own-'));
  const port = await freePort();
  let server: S3rver | null = null;
  const store: TestStore = {
    url: `http://127.0.0.1:${port}`,
    start: async () => {
      server = new S3rver({ address: '127.0.0.1', port, silent: true, directory });
      await server.run();
    },
    stop: async () => {
      const s = server;
      server = null;
      await s?.close();
    },
  };
  await store.start();
  return store;
}

/** Direct access to the store, to check what is (not) there behind the service's back. */
export class StoreInspector {
  readonly client: S3Client;

  constructor(
    endpoint = process.env.S3_ENDPOINT!,
    readonly bucket = process.env.S3_BUCKET!,
  ) {
    this.client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: process.env.S3_ACCESS_KEY_ID!,
        secretAccessKey: process.env.S3_SECRET_ACCESS_KEY!,
      },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'NotFound') return false;
      throw err;
    }
  }

  async keys(prefix: string): Promise<string[]> {
    const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix }));
    return (res.Contents ?? []).map((o) => o.Key!);
  }

  close(): void {
    this.client.destroy();
  }
}

/** The test's own view of the database: channels and memberships (the gateway's job in production). */
export class TestDb {
  private constructor(private readonly client: Client) {}

  static async connect(url = process.env.DATABASE_URL!): Promise<TestDb> {
    const client = new Client({ connectionString: url });
    await client.connect();
    return new TestDb(client);
  }

  async query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, params)).rows as T[];
  }

  /** A channel owned by `ownerId` with `members` (the owner is a member too); its id. */
  async channel(
    ownerId: string,
    members: string[] = [],
    kind: 'public' | 'private' = 'private',
  ): Promise<string> {
    const [{ id }] = await this.query<{ id: string }>(
      `INSERT INTO channels (name, kind, created_by) VALUES ($1, $2, $3) RETURNING id`,
      [`c-${randomBytes(5).toString('hex')}`, kind, ownerId],
    );
    await this.query(`INSERT INTO memberships (channel_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      id,
      ownerId,
    ]);
    for (const userId of members) await this.addMember(id, userId);
    return id;
  }

  async addMember(channelId: string, userId: string): Promise<void> {
    await this.query(`INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      channelId,
      userId,
    ]);
  }

  async removeMember(channelId: string, userId: string): Promise<void> {
    await this.query(`DELETE FROM memberships WHERE channel_id = $1 AND user_id = $2`, [channelId, userId]);
  }

  /** Sets roles directly (do it before the user's first request: services cache status for 3 s). */
  async setRoles(userId: string, roles: Role[]): Promise<void> {
    await this.query(`UPDATE users SET roles = $2 WHERE id = $1`, [userId, roles]);
  }

  async file(id: string): Promise<Record<string, any> | undefined> {
    return (await this.query(`SELECT * FROM files WHERE id = $1`, [id]))[0];
  }

  async filesIn(channelId: string): Promise<Record<string, any>[]> {
    return this.query(`SELECT * FROM files WHERE channel_id = $1 ORDER BY created_at`, [channelId]);
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

async function parse<T>(res: Response): Promise<JsonResponse<T>> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** POST /files with a real multipart form built by fetch (FormData + Blob). */
export async function uploadFile(
  base: string,
  token: string,
  channelId: string,
  data: Uint8Array,
  name = 'file.bin',
  type = 'application/octet-stream',
): Promise<JsonResponse<Answer<FileInfo>>> {
  const form = new FormData();
  form.append('channelId', channelId);
  form.append('file', new Blob([data], { type }), name);
  const res = await fetch(`${base}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return parse<Answer<FileInfo>>(res);
}

export interface StreamedUpload {
  response: JsonResponse<Answer<FileInfo>>;
  /** File bytes the generator had produced when the answer arrived. */
  producedWhenAnswered: number;
}

/**
 * POST /files with a multipart body streamed from `size` generated bytes (never held in memory
 * whole). `chunkOf(offset, length)` supplies the bytes. Stops sending once the answer is in.
 */
export async function streamUpload(
  base: string,
  token: string,
  channelId: string,
  size: number,
  chunkOf: (offset: number, length: number) => Uint8Array,
  name = 'big.bin',
): Promise<StreamedUpload> {
  const boundary = `----chat-test-${randomBytes(8).toString('hex')}`;
  const enc = new TextEncoder();
  const preamble = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="channelId"\r\n\r\n${channelId}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const epilogue = enc.encode(`\r\n--${boundary}--\r\n`);
  let produced = 0;
  let stage: 'preamble' | 'file' | 'epilogue' | 'done' = 'preamble';
  const CHUNK = 256 * 1024;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (stage === 'preamble') {
        ctrl.enqueue(preamble);
        stage = size > 0 ? 'file' : 'epilogue';
      } else if (stage === 'file') {
        const n = Math.min(CHUNK, size - produced);
        ctrl.enqueue(chunkOf(produced, n));
        produced += n;
        if (produced >= size) stage = 'epilogue';
      } else if (stage === 'epilogue') {
        ctrl.enqueue(epilogue);
        stage = 'done';
      } else {
        ctrl.close();
      }
    },
  });
  const abort = new AbortController();
  const res = await fetch(`${base}/files`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    body,
    duplex: 'half',
    signal: abort.signal,
  });
  const producedWhenAnswered = produced;
  const response = await parse<Answer<FileInfo>>(res);
  abort.abort();
  return { response, producedWhenAnswered };
}

export interface Fetched {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

/** GET a file's bytes (`path` after /files/), not following redirects unless told. */
export async function getFile(
  base: string,
  token: string,
  path: string,
  opts: { headers?: Record<string, string>; follow?: boolean } = {},
): Promise<Fetched> {
  const res = await fetch(`${base}/files/${path}`, {
    headers: { authorization: `Bearer ${token}`, ...(opts.headers ?? {}) },
    redirect: opts.follow ? 'follow' : 'manual',
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Deterministic pseudo-random bytes: byte i of the stream depends only on i (cheap to regenerate). */
export function patternBytes(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const x = offset + i;
    out[i] = (x * 2654435761 + (x >>> 7) * 40503) & 0xff;
  }
  return out;
}

/**
 * Valid UTF-8 text (with multi-byte characters, so chunk boundaries fall inside them) whose byte i
 * depends only on i. Lengths that are a multiple of TEXT_UNIT_BYTES end on a whole character.
 */
const TEXT_UNIT = Buffer.from('Grüße, 世界! 😀 chat files, line of text\n', 'utf8');
export const TEXT_UNIT_BYTES = TEXT_UNIT.length;

export function textBytes(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = TEXT_UNIT[(offset + i) % TEXT_UNIT.length];
  return out;
}

/** ASCII-only text (every length ends on a whole character). */
export function asciiBytes(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const x = offset + i;
    out[i] = x % 64 === 63 ? 0x0a : 0x61 + (x % 26);
  }
  return out;
}
