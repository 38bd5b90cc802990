import { checkFile, MAX_UPLOAD_BYTES } from './files';
import { formatBytes, linkify } from './format';

describe('file checks before upload', () => {
  it('accepts an ordinary image', () => {
    expect(checkFile({ name: 'cat.png', size: 2048, type: 'image/png' })).toBeNull();
  });

  it('refuses files over the limit, saying both sizes', () => {
    expect(checkFile({ name: 'big.mp4', size: MAX_UPLOAD_BYTES + 1, type: 'video/mp4' })).toBe(
      'big.mp4 is too large (25 MB). The limit is 25 MB.',
    );
  });

  it('refuses types the server will not take, and empty files', () => {
    expect(checkFile({ name: 'x.exe', size: 10, type: 'application/x-msdownload' })).toMatch(
      /cannot be shared/,
    );
    expect(checkFile({ name: 'e.txt', size: 0, type: 'text/plain' })).toMatch(/empty/);
  });

  it('leaves unknown types to the server (browsers often report none)', () => {
    expect(checkFile({ name: 'notes', size: 10, type: '' })).toBeNull();
    expect(checkFile({ name: 'photo.dat', size: 10, type: 'application/octet-stream' })).toBeNull();
  });
});

describe('formatting', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
  });

  it('finds links without swallowing trailing punctuation', () => {
    expect(linkify('see https://example.com/a?b=1. ok')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: '. ok' },
    ]);
    expect(linkify('javascript:alert(1)')).toEqual([{ text: 'javascript:alert(1)' }]);
  });
});
