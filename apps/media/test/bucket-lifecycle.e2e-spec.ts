import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetBucketLifecycleConfigurationCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { startAuth, type Running } from '../../../test/support/apps';
import { startMedia, StoreInspector } from '../../../test/support/media';
import { ABORT_UPLOADS_RULE_ID } from '../src/storage/storage.service';

/**
 * The lifecycle rule that aborts incomplete multipart uploads, set where media prepares its bucket
 * (S3_CREATE_BUCKET). s3rver, the S3-protocol server of the tests, answers lifecycle requests with
 * 501 NotImplemented; so media must still boot against it, and say so. What media writes and when
 * is checked through a front of s3rver that keeps `?lifecycle` documents itself (as S3 does, by
 * bucket) and passes every other request to s3rver unchanged.
 */

/** Every log line written from now on (pino writes to process.stdout under jest, asynchronously). */
function captureLogs(): { since: (mark: number) => string; mark: () => number; restore: () => void } {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((data: unknown, ...rest: unknown[]) => {
    chunks.push(String(data));
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  });
  return {
    mark: () => chunks.length,
    since: (mark: number) => chunks.slice(mark).join(''),
    restore: () => spy.mockRestore(),
  };
}

interface LifecycleFront {
  url: string;
  /** Lifecycle requests seen, as `METHOD bucket`. */
  calls: string[];
  close(): Promise<void>;
}

async function lifecycleFront(upstream: string): Promise<LifecycleFront> {
  const target = new URL(upstream);
  const documents = new Map<string, string>();
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://front');
    const bucket = url.pathname.split('/')[1];
    if (url.searchParams.has('lifecycle')) {
      calls.push(`${req.method} ${bucket}`);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'PUT') {
          documents.set(bucket, Buffer.concat(chunks).toString());
          res.writeHead(200).end();
        } else if (req.method === 'GET' && documents.has(bucket)) {
          res.writeHead(200, { 'content-type': 'application/xml' }).end(documents.get(bucket));
        } else {
          res
            .writeHead(404, { 'content-type': 'application/xml' })
            .end(
              '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchLifecycleConfiguration</Code>' +
                '<Message>The lifecycle configuration does not exist</Message></Error>',
            );
        }
      });
      return;
    }
    const proxied = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    proxied.on('error', () => res.writeHead(502).end());
    req.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const newBucket = () => `chat-lifecycle-${randomBytes(4).toString('hex')}`;

describe('media: the bucket lifecycle rule for incomplete multipart uploads', () => {
  let auth: Running & { jwksUrl: string };
  let front: LifecycleFront;
  let logs: ReturnType<typeof captureLogs>;
  const running: Running[] = [];

  /** A media service on `overrides`, and what it logged while booting. */
  const boot = async (overrides: Record<string, string>) => {
    const mark = logs.mark();
    const media = await startMedia(auth, { LOG_LEVEL: 'info', ...overrides });
    running.push(media);
    await new Promise((resolve) => setTimeout(resolve, 100)); // pino's asynchronous flush
    return { media, log: logs.since(mark) };
  };
  const rules = async (endpoint: string, bucket: string) => {
    const inspector = new StoreInspector(endpoint, bucket);
    try {
      const res = await inspector.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
      return res.Rules ?? [];
    } finally {
      inspector.close();
    }
  };

  beforeAll(async () => {
    logs = captureLogs();
    // The first service of the process sets the level of the log every later one writes to.
    auth = await startAuth({ LOG_LEVEL: 'info' });
    front = await lifecycleFront(process.env.S3_ENDPOINT!);
  });

  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
  });

  afterAll(async () => {
    await front?.close();
    await auth?.close();
    logs?.restore();
  });

  it('boots against s3rver (no lifecycle support), creating the bucket and warning that the rule is missing', async () => {
    const bucket = newBucket();
    const { media, log } = await boot({ S3_BUCKET: bucket });
    const inspector = new StoreInspector(process.env.S3_ENDPOINT, bucket);
    await inspector.client.send(new HeadBucketCommand({ Bucket: bucket }));
    inspector.close();
    expect((await fetch(`${media.url}/readyz`)).status).toBe(200);
    expect(log).toMatch(/does not support lifecycle rules.*NotImplemented/);
  });

  it('sets the rule (1 day by default) on the bucket it creates, keeping the rules already there', async () => {
    const bucket = newBucket();
    const { log } = await boot({ S3_ENDPOINT: front.url, S3_BUCKET: bucket });
    const [rule] = await rules(front.url, bucket);
    expect(rule).toMatchObject({
      ID: ABORT_UPLOADS_RULE_ID,
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
    expect(log).toMatch(/incomplete multipart uploads are aborted after 1 d/);

    // An operator's own rule stays; a new setting replaces only media's rule.
    const inspector = new StoreInspector(front.url, bucket);
    await inspector.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'expire-tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } },
            rule,
          ],
        },
      }),
    );
    inspector.close();
    for (const r of running.splice(0)) await r.close();
    await boot({ S3_ENDPOINT: front.url, S3_BUCKET: bucket, S3_ABORT_INCOMPLETE_UPLOADS_DAYS: '3' });
    const after = await rules(front.url, bucket);
    expect(
      after.map((r) => [r.ID, r.Expiration?.Days, r.AbortIncompleteMultipartUpload?.DaysAfterInitiation]),
    ).toEqual([
      ['expire-tmp', 7, undefined],
      [ABORT_UPLOADS_RULE_ID, undefined, 3],
    ]);
  });

  it('writes nothing when the rule is already there: replicas booting again are no-ops', async () => {
    const bucket = newBucket();
    await boot({ S3_ENDPOINT: front.url, S3_BUCKET: bucket });
    await boot({ S3_ENDPOINT: front.url, S3_BUCKET: bucket });
    expect(front.calls.filter((c) => c.endsWith(` ${bucket}`))).toEqual([
      `GET ${bucket}`,
      `PUT ${bucket}`,
      `GET ${bucket}`,
    ]);
  });

  it('leaves the lifecycle alone with S3_ABORT_INCOMPLETE_UPLOADS_DAYS=0 or without S3_CREATE_BUCKET', async () => {
    const bucket = newBucket();
    await boot({ S3_ENDPOINT: front.url, S3_BUCKET: bucket, S3_ABORT_INCOMPLETE_UPLOADS_DAYS: '0' });
    await boot({ S3_ENDPOINT: front.url, S3_BUCKET: bucket, S3_CREATE_BUCKET: 'false' });
    expect(front.calls.filter((c) => c.endsWith(` ${bucket}`))).toEqual([]);
  });

  it('refuses a negative number of days at boot, naming the setting', async () => {
    await expect(startMedia(auth, { S3_ABORT_INCOMPLETE_UPLOADS_DAYS: '-1' })).rejects.toThrow(
      /S3_ABORT_INCOMPLETE_UPLOADS_DAYS/,
    );
  });
});
