import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { MarkdownProps } from './Markdown';

/**
 * The message renderer against hostile bodies. react-markdown and its plugins ship as ES modules
 * only, which this CommonJS jest cannot load, so the real component is bundled with esbuild (as
 * Vite does for the app) and rendered with react-dom/server; react itself stays shared.
 */
function load<P>(file: string, name: string): (props: P) => string {
  const out = buildSync({
    entryPoints: [join(__dirname, file)],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    jsx: 'automatic',
    external: ['react', 'react-dom', 'react/jsx-runtime'],
    logLevel: 'silent',
  });
  const mod = { exports: {} as Record<string, unknown> };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating our own bundle, see above
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, require);
  const component = mod.exports[name];
  return (props) => renderToStaticMarkup(createElement(component as never, props as never));
}

const ALLOWED = new Set([
  'div',
  'p',
  'br',
  'strong',
  'em',
  'del',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'a',
  'span',
  'hr',
]);

/** Every element and attribute of the rendered HTML (a tag scan: renderToStaticMarkup escapes text). */
function elements(html: string): { tag: string; attrs: Record<string, string> }[] {
  const found: { tag: string; attrs: Record<string, string> }[] = [];
  for (const m of html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2].matchAll(/([^\s=>]+)(?:="([^"]*)")?/g)) attrs[a[1].toLowerCase()] = a[2] ?? '';
    found.push({ tag: m[1].toLowerCase(), attrs });
  }
  return found;
}

function expectSafe(html: string): void {
  for (const el of elements(html)) {
    expect(ALLOWED).toContain(el.tag);
    for (const [name, value] of Object.entries(el.attrs)) {
      expect(name).not.toMatch(/^on/);
      expect(['class', 'href', 'target', 'rel', 'start']).toContain(name);
      if (name === 'href') expect(value).toMatch(/^(https?:\/\/|mailto:)/i);
    }
    if (el.tag === 'a') {
      expect(el.attrs.target).toBe('_blank');
      expect(el.attrs.rel).toBe('noopener noreferrer nofollow');
    }
  }
  expect(html).not.toMatch(/<(img|script|iframe|style|svg|object|embed|input|form)\b/i);
  expect(html).not.toMatch(/href="\s*(javascript|data|vbscript):/i);
}

describe('message Markdown', () => {
  const render = load<MarkdownProps>('Markdown.tsx', 'Markdown');
  const highlight = load<{ lang: string; code: string }>('CodeBlock.tsx', 'default');
  const me = { username: 'alice' };
  const md = (body: string, mentions = { userIds: [] as string[], channel: false }) =>
    render({ body, me, mentions });

  it('renders the formatting people use', () => {
    const html = md(
      '**bold** _italic_ ~~gone~~ `code`\n\n> quoted\n\n- one\n- two\n\n1. first\n\n```js\nconst x = 1;\n```\n\n[site](https://example.com) <https://example.org> mail@ [me](mailto:a@b.c)',
    );
    expectSafe(html);
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>italic</em>');
    expect(html).toContain('<del>gone</del>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<blockquote>');
    expect(html).toContain('<ul>');
    expect(html).toContain('<ol>');
    // The block shows at once; highlighting follows when its lazy module has loaded (below).
    expect(html).toContain('<pre><code class="language-js">const x = 1;');
    expect(html).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">site</a>',
    );
    expect(html).toContain('href="https://example.org"');
    expect(html).toContain('href="mailto:a@b.c"');
  });

  it.each([
    ['an img with onerror', '<img src=x onerror=alert(1)>'],
    ['a script', '<script>alert(1)</script>'],
    ['inline html', 'hi <b onmouseover="alert(1)">there</b> <a href="javascript:alert(1)">x</a>'],
    ['a javascript: link', '[x](javascript:alert(1))'],
    [
      'an obfuscated javascript: link',
      '[x](  JaVaScRiPt:alert(1)) [y](java&#x73;cript:alert(1)) [z](\tjavascript:alert(1))',
    ],
    ['a data: link', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['a vbscript: link', '[x](vbscript:msgbox(1))'],
    ['a reference link to javascript:', '[x][1]\n\n[1]: javascript:alert(1)'],
    ['an autolink to javascript:', '<javascript:alert(1)>'],
    ['an image (tracking pixel)', '![pixel](https://tracker.example/p.gif)'],
    ['a data: image', '![x](data:image/svg+xml;base64,PHN2Zy8+)'],
    ['an svg', '<svg onload=alert(1)></svg>'],
    ['an iframe', '<iframe src="https://evil.example"></iframe>'],
    ['a style tag', '<style>body{display:none}</style>'],
    ['a form and input', '<form action="https://evil.example"><input name=x></form>'],
    ['a task list', '- [ ] todo\n- [x] done'],
    ['a table', '| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | 2 |'],
    ['html in code', '`<img src=x onerror=alert(1)>`\n\n```html\n<script>alert(1)</script>\n```'],
    ['a heading', '# big\n## bigger'],
    ['a footnote', 'text[^1]\n\n[^1]: javascript:alert(1)'],
  ])('keeps %s harmless', (_name, body) => {
    expectSafe(md(body));
  });

  it('highlights a fenced block, and keeps hostile code as text', () => {
    expect(highlight({ lang: 'js', code: 'const x = 1;' })).toMatch(
      /<pre><code class="hljs language-js"><span class="hljs-keyword">const<\/span> x = <span class="hljs-number">1<\/span>;/,
    );
    for (const code of [
      '</code></pre><img src=x onerror=alert(1)>',
      '```\n<script>alert(1)</script>\n```',
      '`'.repeat(50),
    ]) {
      const html = highlight({ lang: 'html', code });
      expectSafe(html);
      expect(html).not.toContain('<img');
      expect(html).not.toContain('<script');
    }
    expectSafe(highlight({ lang: 'nosuchlanguage', code: 'x' }));
  });

  it('shows raw HTML as the text it is', () => {
    const html = md('before <img src=x onerror=alert(1)> after\n\n<script>alert(1)</script>\n\n`<b>x</b>`');
    expectSafe(html);
    expect(html).toContain('before &lt;img src=x onerror=alert(1)&gt; after');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<code>&lt;b&gt;x&lt;/b&gt;</code>');
  });

  it('renders an image as a link to it, never as an image', () => {
    const html = md('![pixel](https://tracker.example/p.gif)');
    expect(html).toContain('href="https://tracker.example/p.gif"');
    expect(html).toContain('pixel');
    expect(html).not.toContain('<img');
  });

  it.each([
    ['a nested quotes bomb', '>'.repeat(4000)],
    ['nested lists', Array.from({ length: 400 }, (_, i) => `${'  '.repeat(i)}- x`).join('\n')],
    ['emphasis soup', '*_'.repeat(2000)],
    ['backticks', '`'.repeat(4000)],
    ['brackets', '['.repeat(2000) + ']('.repeat(1000)],
    ['links', '[a](https://x.y)'.repeat(250)],
    ['mentions', '@bob '.repeat(800)],
  ])('survives %s of 4,000 characters', (_name, body) => {
    const html = md(body.slice(0, 4000));
    expectSafe(html);
    // Depth is bounded: no more than a dozen nested quotes or lists.
    const depth = Math.max(
      ...html.split(/(?=<)/).reduce(
        (acc, part) => {
          const d =
            acc.d +
            (/^<(blockquote|ul|ol|li)\b/.test(part) ? 1 : /^<\/(blockquote|ul|ol|li)>/.test(part) ? -1 : 0);
          acc.max.push(d);
          acc.d = d;
          return acc;
        },
        { d: 0, max: [0] as number[] },
      ).max,
    );
    expect(depth).toBeLessThanOrEqual(12);
  });

  it('highlights mentions as chips, the reader’s own more strongly, never inside code', () => {
    const html = md(
      'hi @bob and @alice, also @channel. `@carol` and\n\n```\n@dave\n```\nmail me@example.com',
      {
        userIds: ['u-alice'],
        channel: true,
      },
    );
    expect(html).toContain('<span class="mention">@bob</span>');
    expect(html).toContain('<span class="mention mention-me">@alice</span>');
    expect(html).toContain('<span class="mention mention-me">@channel</span>');
    expect(html).toContain('<code>@carol</code>');
    expect(html).not.toContain('mention">@dave');
    expect(html).not.toContain('mention">@example');
    // Without the server's word, @channel is a chip but not the reader's.
    expect(md('@here please')).toContain('<span class="mention">@here</span>');
  });
});
