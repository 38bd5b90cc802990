import { loadMediaConfig } from '../config';
import { isTransient } from './storage.errors';
import { StorageService } from './storage.service';

const config = (env: Record<string, string> = {}) =>
  loadMediaConfig({ S3_ENDPOINT: 'http://store.internal:9000', S3_BUCKET: 'files', ...env });

describe('StorageService presigning (offline)', () => {
  it('binds a PUT URL to the content type and length: both are signed headers', async () => {
    const storage = new StorageService(config());
    const url = new URL(await storage.presignPut('files/c/f', 'image/png', 1234, 300));
    expect(url.origin).toBe('http://store.internal:9000');
    expect(url.pathname).toBe('/files/files/c/f');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    storage.onApplicationShutdown();
  });

  it('signs browser URLs for MEDIA_PUBLIC_URL, with our response headers', async () => {
    const storage = new StorageService(config({ MEDIA_PUBLIC_URL: 'https://files.example.com/' }));
    const url = new URL(
      await storage.presignGet(
        'files/c/f',
        { contentType: 'image/png', contentDisposition: 'inline; filename="a.png"', cacheControl: 'private' },
        60,
      ),
    );
    expect(url.origin).toBe('https://files.example.com');
    expect(url.searchParams.get('response-content-type')).toBe('image/png');
    expect(url.searchParams.get('response-content-disposition')).toBe('inline; filename="a.png"');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    storage.onApplicationShutdown();
  });
});

describe('isTransient', () => {
  it('tells a store that is down from a refusal that needs fixing', () => {
    expect(isTransient(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient({ name: 'TimeoutError' })).toBe(true);
    expect(isTransient({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isTransient({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransient({ name: 'Error', cause: { code: 'ECONNRESET' } })).toBe(true);
    expect(isTransient({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isTransient({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } })).toBe(false);
  });
});
