import {
  FILE_ONLY_BODY,
  NOTIFICATION_BODY_MAX,
  notificationBody,
  notificationTitle,
  truncate,
} from './notification-text';

const body = (text: string, files = 0) =>
  notificationBody({ body: text, attachments: Array(files).fill({}) });
const codePoints = (s: string) => [...s].length;

describe('notificationTitle', () => {
  it('names the author and the channel, or only the author in a DM', () => {
    expect(notificationTitle('alice', { kind: 'public', name: 'general' })).toBe('alice in #general');
    expect(notificationTitle('alice', { kind: 'private', name: 'ops team' })).toBe('alice in #ops team');
    expect(notificationTitle('alice', { kind: 'dm', name: '' })).toBe('alice');
  });

  it('keeps a hostile channel name on one line without reordering controls', () => {
    const title = notificationTitle('bob', { kind: 'public', name: 'a\u202Egnp.exe\u2066x\n\ty\u0000' });
    expect(title).toBe('bob in #agnp.exex y');
    // eslint-disable-next-line no-control-regex -- no control character may remain
    expect(title).not.toMatch(/[\u0000-\u001F\u202A-\u202E\u2066-\u2069]/);
  });
});

describe('notificationBody', () => {
  it('gives short plain text as it is, with its whitespace collapsed', () => {
    expect(body('hello')).toBe('hello');
    expect(body('  line one\n\n  line two\r\n\tthree  ')).toBe('line one line two three');
  });

  it('strips Markdown lightly: emphasis, code, links, images, headings, quotes, lists, fences', () => {
    expect(body('**bold** and _it_ and ~~gone~~ and `code`')).toBe('bold and _it_ and gone and code');
    expect(body('see [the docs](https://example.com/a_(b)) and ![a cat](x.png)')).toBe(
      'see the docs and a cat',
    );
    expect(body('# Title\n> quoted\n> > deeper\n- one\n* two\n1. three')).toBe(
      'Title quoted deeper one two three',
    );
    expect(body('```ts\nconst x = 1;\n```\nafter')).toBe('const x = 1; after');
    expect(body('snake_case_name stays')).toBe('snake_case_name stays');
  });

  it('shows the markup when the text is nothing but markup', () => {
    expect(body('***')).toBe('***');
    expect(body('```')).toBe('```');
  });

  it('says "sent a file" for a message with files and no text, and keeps text next to files', () => {
    expect(body('', 1)).toBe(FILE_ONLY_BODY);
    expect(body(' \n\u200B ', 2)).toBe(FILE_ONLY_BODY);
    expect(body('look', 1)).toBe('look');
    expect(body('')).toBe('');
  });

  it('cuts a 4,000-character body to 200 characters ending with an ellipsis', () => {
    const long = 'word '.repeat(800);
    const out = body(long);
    expect(codePoints(out)).toBeLessThanOrEqual(NOTIFICATION_BODY_MAX);
    expect(out.endsWith('…')).toBe(true);
    expect(out.startsWith('word word')).toBe(true);
    const exact = 'x'.repeat(200);
    expect(body(exact)).toBe(exact);
    expect(body(exact + 'y')).toBe('x'.repeat(199) + '…');
  });

  it('never splits an emoji, a surrogate pair or a letter from its accents', () => {
    const family = '👨‍👩‍👧‍👦';
    const out = body('a' + family.repeat(100));
    expect(codePoints(out)).toBeLessThanOrEqual(NOTIFICATION_BODY_MAX);
    expect(
      out
        .slice(1, -1)
        .split(family)
        .every((part) => part === ''),
    ).toBe(true);
    const accents = body('e\u0301'.repeat(300));
    expect(accents.slice(0, -1)).toBe('e\u0301'.repeat(99));
    // One grapheme with thousands of combining marks is still cut to the limit.
    const zalgo = body('Z' + '\u0336'.repeat(3999));
    expect(codePoints(zalgo)).toBe(NOTIFICATION_BODY_MAX);
  });

  it('keeps right-to-left text and drops the controls that reorder what follows', () => {
    expect(body('שלום עולם')).toBe('שלום עולם');
    expect(body('مرحبا')).toBe('مرحبا');
    const out = body('pay \u202Eevil\u202C \u2067x\u2069 \u200Fok\u061C');
    expect(out).toBe('pay evil x ok');
    expect(out).not.toMatch(/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/);
  });

  it('drops control characters, lone surrogates and invisible characters', () => {
    const out = body('a\u0000b\u0007c\u001Bd\u007Fe\u0085f\uD800g\uDC00h\uFEFFi\u200Bj\u00ADk');
    expect(out).toBe('abcdefghijk');
    expect(body('\u0000\u0001\u0002')).toBe('');
  });

  it('stays fast on hostile Markdown of the longest length', () => {
    for (const hostile of [
      '['.repeat(4000),
      '[a]('.repeat(1000),
      '`'.repeat(4000),
      '*_'.repeat(2000),
      '> '.repeat(2000),
      '#'.repeat(4000),
      '\n'.repeat(4000),
    ]) {
      const out = body(hostile);
      expect(codePoints(out)).toBeLessThanOrEqual(NOTIFICATION_BODY_MAX);
    }
  });
});

describe('truncate', () => {
  it('leaves text within the limit alone and never answers more than the limit', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('ab  cd', 4)).toBe('ab…');
    expect(codePoints(truncate('😀'.repeat(10), 5))).toBe(5);
  });
});
