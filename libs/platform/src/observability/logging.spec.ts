import { Controller, Get, Logger as NestLogger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import { PassThrough } from 'node:stream';
import { PlatformModule } from '../platform.module';

@Controller()
class PingController {
  private readonly logger = new NestLogger('Ping');

  @Get('ping')
  ping(): { ok: true; boundLogger: boolean } {
    this.logger.log('pinged');
    return { ok: true, boundLogger: storage.getStore() !== undefined };
  }
}

/** What the operator finds in the log: one line per request, with its id, and nothing secret. */
describe('request logging', () => {
  let app: INestApplication;
  let url: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule.forRoot({
          service: 'logging-spec',
          logLevel: 'info',
          logPretty: false,
          redisUrl: '',
          redisPrefix: 'logging-spec',
          logDestination: sink,
        }),
      ],
      controllers: [PingController],
    }).compile();
    app = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  const waitFor = async (pred: (l: Record<string, unknown>) => boolean) => {
    for (let i = 0; i < 100 && !lines.some(pred); i++) await new Promise((r) => setTimeout(r, 10));
    return lines.find(pred);
  };

  it('writes one line per request with its id, redacting credentials and tokens', async () => {
    const res = await fetch(`${url}/ping?token=secret-token`, {
      headers: { authorization: 'Bearer secret-bearer', 'x-request-id': 'req-from-front-door' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-from-front-door');
    const line = await waitFor((l) => (l.req as { id?: string } | undefined)?.id === 'req-from-front-door');
    expect(line).toMatchObject({
      name: 'logging-spec',
      msg: 'request completed',
      req: { id: 'req-from-front-door', method: 'GET', url: '/ping?token=[redacted]' },
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(lines)).not.toMatch(/secret-token|secret-bearer/);
  });

  it("redacts an OIDC callback's authorization code and state", async () => {
    await fetch(`${url}/ping?state=secret-state&code=secret-code&iss=https%3A%2F%2Fid.example`, {
      headers: { 'x-request-id': 'req-oidc-callback' },
    });
    const line = await waitFor((l) => (l.req as { id?: string } | undefined)?.id === 'req-oidc-callback');
    expect((line?.req as { url: string }).url).toBe(
      '/ping?state=[redacted]&code=[redacted]&iss=https%3A%2F%2Fid.example',
    );
  });

  it('handles requests outside AsyncLocalStorage, which would turn on async hooks for every socket write', async () => {
    const res = await fetch(`${url}/ping`);
    expect(await res.json()).toEqual({ ok: true, boundLogger: false });
  });

  it('sends the services’ own log lines to the same place', async () => {
    await fetch(`${url}/ping`);
    expect(await waitFor((l) => l.msg === 'pinged')).toMatchObject({ name: 'logging-spec', context: 'Ping' });
  });
});
