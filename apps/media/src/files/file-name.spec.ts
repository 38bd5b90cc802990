import { contentDisposition, MAX_NAME_LENGTH, sanitizeFileName, withExtension } from './file-name';

describe('sanitizeFileName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\Windows\\System32\\cmd.exe', 'cmd.exe'],
    ['C:\\Users\\me\\Desktop\\photo.jpg', 'photo.jpg'],
    ['..', 'file'],
    ['', 'file'],
    [null, 'file'],
    ['.htaccess', 'htaccess'],
    ['name.txt. . ', 'name.txt'],
    ['a\u0000b\u0007c\u001b\u007f\u0085.txt', 'abc.txt'],
    ['line\r\nInjected: header.txt', 'lineInjected_ header.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['zero\u200Bwidth.txt', 'zerowidth.txt'],
    ['a<b>c:"d|e?f*.txt', 'a_b_c__d_e_f_.txt'],
    ['  spaced    out  .txt', 'spaced out .txt'],
    ['CON.txt', '_CON.txt'],
    ['nul', '_nul'],
    ['re\u0301sume\u0301.pdf', 'résumé.pdf'],
    ['日本語のファイル.txt', '日本語のファイル.txt'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it('limits the length, keeping the extension and never splitting a character', () => {
    const long = `${'😀'.repeat(300)}.jpeg`;
    const name = sanitizeFileName(long);
    expect(Array.from(name)).toHaveLength(MAX_NAME_LENGTH);
    expect(name.endsWith('😀.jpeg')).toBe(true);
    expect(sanitizeFileName('x'.repeat(500))).toHaveLength(MAX_NAME_LENGTH);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987)', () => {
    expect(contentDisposition('attachment', "naïve café (v2)'s *draft*.txt")).toBe(
      `attachment; filename="na_ve caf_ (v2)'s *draft*.txt"; ` +
        `filename*=UTF-8''na%C3%AFve%20caf%C3%A9%20%28v2%29%27s%20%2Adraft%2A.txt`,
    );
  });

  it('keeps quotes, backslashes and percent signs out of the quoted fallback', () => {
    expect(contentDisposition('inline', 'a"b\\c%41.png')).toBe(
      `inline; filename="a_b_c_41.png"; filename*=UTF-8''a%22b%5Cc%2541.png`,
    );
  });
});

describe('withExtension', () => {
  it('replaces or adds the extension', () => {
    expect(withExtension('photo.png', 'webp')).toBe('photo.webp');
    expect(withExtension('photo', 'webp')).toBe('photo.webp');
    expect(withExtension('archive.tar.gz', 'webp')).toBe('archive.tar.webp');
  });
});
