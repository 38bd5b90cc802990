import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from '../support/apps';
import { privateChannel, register, startFaultStack, type FaultStack } from '../faults/support/stack';

/**
 * OpenTelemetry on the built auth and media services (TRACING_ENABLED), exporting over OTLP/HTTP
 * to a receiver this test runs: what an operator's collector would get. Runs against processes,
 * not in jest's module registry, because the instrumentations patch modules as Node requires them.
 */

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
}
interface Span extends OtlpSpan {
  service: string;
  attr: Record<string, string>;
}

/** SpanKind in OTLP: 2 server, 3 client. */
const SERVER = 2;
const CLIENT = 3;

/** An OTLP/HTTP JSON receiver: every span it was sent, with its service's name. */
async function startReceiver(): Promise<{ url: string; spans: Span[]; close(): Promise<void> }> {
  const spans: Span[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && /json/.test(req.headers['content-type'] ?? '')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: OtlpValue }[] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          const service =
            rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) {
              const attr = Object.fromEntries(
                (s.attributes ?? []).map((a) => [
                  a.key,
                  String(a.value.stringValue ?? a.value.intValue ?? ''),
                ]),
              );
              spans.push({ ...s, service, attr });
            }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('tracing (OpenTelemetry over OTLP, auth and media)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let fs: FaultStack;

  beforeAll(async () => {
    receiver = await startReceiver();
    fs = await startFaultStack({
      gateways: 1,
      env: {
        TRACING_ENABLED: 'true',
        TRACING_OTLP_URL: receiver.url,
        // The SDK's batch processor exports every 5 s by default; sooner keeps the test short.
        OTEL_BSP_SCHEDULE_DELAY: '300',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await fs?.stop();
    await receiver?.close();
  });

  it('traces a login in auth: the request by its route, with the Postgres queries under it', async () => {
    const user = await register(fs.url, 'tr');
    const login = await request(fs.url, 'POST', '/auth/login', {
      body: { username: user.username, password: 'password-123' },
    });
    expect(login.status).toBe(200);

    const server = await until('the login request span', () =>
      receiver.spans.find(
        (s) => s.service === 'chat-auth' && s.kind === SERVER && s.attr['http.route'] === '/auth/login',
      ),
    );
    expect(server.attr['http.method'] ?? server.attr['http.request.method']).toBe('POST');
    const queries = await until('the queries of that request', () => {
      const inTrace = receiver.spans.filter(
        (s) =>
          s.traceId === server.traceId && (s.attr['db.system.name'] ?? s.attr['db.system']) === 'postgresql',
      );
      return inTrace.length > 0 ? inTrace : undefined;
    });
    expect(queries.every((q) => q.service === 'chat-auth')).toBe(true);
    // Statements are recorded, their parameters (passwords, tokens) never are.
    expect(JSON.stringify(queries)).not.toContain('password-123');
  });

  it('traces an upload in media down to its object-storage call', async () => {
    const user = await register(fs.url, 'tu');
    const channelId = await privateChannel(fs.url, user, []);
    const form = new FormData();
    form.append('channelId', channelId);
    form.append('file', new Blob([Buffer.from('traced upload\n')], { type: 'text/plain' }), 'a.txt');
    const upload = await fetch(`${fs.url}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      body: form,
    });
    expect(upload.status).toBe(201);

    const server = await until('the upload request span', () =>
      receiver.spans.find(
        (s) => s.service === 'chat-media' && s.kind === SERVER && s.attr['http.route'] === '/files',
      ),
    );
    const s3Put = await until('the object-storage PUT in the same trace', () =>
      receiver.spans.find(
        (s) =>
          s.traceId === server.traceId &&
          s.kind === CLIENT &&
          (s.attr['http.method'] ?? s.attr['http.request.method']) === 'PUT',
      ),
    );
    expect(s3Put.service).toBe('chat-media');
  });

  it('leaves probes and scrapes untraced', async () => {
    const res = await fetch(`${fs.stack.auth.url}/healthz`);
    expect(res.status).toBe(200);
    // Let a batch go out, then look: a login's spans arrive, a probe's never do.
    await register(fs.url, 'tp');
    await until('a later batch', () =>
      receiver.spans.filter((s) => s.attr['http.route'] === '/auth/register').length >= 2 ? true : undefined,
    );
    const probes = receiver.spans.filter((s) =>
      /\/(healthz|readyz|metrics)/.test(s.attr['http.target'] ?? s.attr['url.path'] ?? s.name),
    );
    expect(probes).toEqual([]);
  });
});
