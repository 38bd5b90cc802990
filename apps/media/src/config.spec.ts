import { loadMediaConfig } from './config';

describe('loadMediaConfig', () => {
  it('has defaults for the embedded local mode', () => {
    const c = loadMediaConfig({});
    expect(c.port).toBe(3003);
    expect(c.s3).toMatchObject({
      endpoint: 'http://127.0.0.1:4569',
      forcePathStyle: true,
      createBucket: true,
    });
    expect(c.media.maxBytes).toBe(25 * 1024 * 1024);
    expect(c.media.publicUrl).toBe('');
    expect(c.media.allowedTypes).toContain('image/png');
    expect(c.media.allowedTypes).not.toContain('image/svg+xml');
  });

  it('derives the sweep interval and the PUT URL lifetime from the upload TTL', () => {
    expect(loadMediaConfig({ MEDIA_UPLOAD_TTL_SECONDS: '3600' }).media).toMatchObject({
      sweepIntervalSeconds: 300,
      uploadUrlTtlSeconds: 900,
    });
    expect(loadMediaConfig({ MEDIA_UPLOAD_TTL_SECONDS: '2' }).media).toMatchObject({
      sweepIntervalSeconds: 1,
      uploadUrlTtlSeconds: 1,
    });
    expect(
      loadMediaConfig({ MEDIA_UPLOAD_TTL_SECONDS: '600', MEDIA_SWEEP_INTERVAL_SECONDS: '7' }).media
        .sweepIntervalSeconds,
    ).toBe(7);
  });

  it('normalizes the allowlist and public URL', () => {
    const c = loadMediaConfig({
      MEDIA_ALLOWED_TYPES: 'Image/PNG, text/*',
      MEDIA_PUBLIC_URL: 'https://s3.example.com/',
    });
    expect(c.media.allowedTypes).toEqual(['image/png', 'text/*']);
    expect(c.media.publicUrl).toBe('https://s3.example.com');
  });

  it('budgets the parsers of uploaded bytes, with no test hook unless a test sets one', () => {
    expect(loadMediaConfig({}).media.parsers).toEqual({
      sniffTimeoutMs: 2000,
      thumbTimeoutMs: 15_000,
      maxHeapMb: 64,
      workers: 2,
      queueLimit: 200,
      testHangMarker: undefined,
    });
    const load = () => loadMediaConfig({ MEDIA_SNIFF_TIMEOUT_MS: '0', MEDIA_PARSER_WORKERS: 'two' });
    expect(load).toThrow(/MEDIA_SNIFF_TIMEOUT_MS/);
    expect(load).toThrow(/MEDIA_PARSER_WORKERS/);
  });

  it('refuses bad values, naming every bad variable', () => {
    const load = () =>
      loadMediaConfig({ MEDIA_MAX_BYTES: '0', MEDIA_PUBLIC_URL: 'ftp://x', MEDIA_ALLOWED_TYPES: 'png' });
    expect(load).toThrow(/Invalid configuration/);
    expect(load).toThrow(/MEDIA_MAX_BYTES/);
    expect(load).toThrow(/MEDIA_PUBLIC_URL/);
    expect(load).toThrow(/MEDIA_ALLOWED_TYPES/);
  });
});
