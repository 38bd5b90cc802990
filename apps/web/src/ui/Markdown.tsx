import { lazy, memo, Suspense, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { mentionIsMe, splitMentions } from '../util/mentions';

/**
 * Message bodies as Markdown, safely: what the sender wrote can never become markup of ours.
 *
 * - No raw HTML, ever: react-markdown without rehype-raw; HTML in a body is shown as text
 *   (`<img src=x onerror=…>` reads as typed), and `skipHtml` would drop any HTML node left.
 * - Only the elements below reach the page; others (headings, tables, task-list checkboxes) are
 *   unwrapped to their text.
 * - Only http(s) and mailto URLs become links, opening in a new tab without an opener or referrer;
 *   `javascript:`, `data:`, `vbscript:` and relative URLs are shown as text.
 * - Images are not loaded (no tracking pixels): `![alt](url)` becomes a link to the URL.
 * - Nesting deeper than MAX_DEPTH (a quote bomb) is flattened to text, so a 4,000-character body
 *   cannot build thousands of nested elements.
 */
export const ALLOWED_ELEMENTS = [
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
  // Rendered as a link by the `img` component below, never as <img>.
  'img',
];
const MAX_DEPTH = 12;
const LINK_REL = 'noopener noreferrer nofollow';

/**
 * Parsing under a budget: Markdown parsers are slow on long runs of markup characters (4,000 `>`,
 * `*_*_…`) and on very deep indentation, enough to freeze every reader's tab for seconds. Such a
 * body is shown as plain text (mentions still highlighted): no real message looks like that.
 */
export function tooComplex(body: string): boolean {
  return (
    /[>*_~`[\]()!#|\\-]{48,}/.test(body) || /^[ \t]{48,}/m.test(body) || /(?:^|\n)(?:\s*>){16}/.test(body)
  );
}

/** The URL if it may be a link (http, https, mailto), otherwise nothing. */
export function safeUrl(url: string | null | undefined): string | undefined {
  const u = (url ?? '').trim();
  return /^(https?:\/\/|mailto:)/i.test(u) ? u : undefined;
}

// Minimal hast shapes (the plugins below only walk elements and text).
interface HNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HNode[];
  value?: string;
}
interface HElement extends HNode {
  type: 'element';
  tagName: string;
  children: HNode[];
}
interface HRoot {
  type: 'root';
  children: HNode[];
}

const isElement = (n: HNode): n is HElement => n.type === 'element';

/** The text under a node, without recursion (the subtree may be thousands deep). */
function textOf(n: HNode): string {
  const out: string[] = [];
  const stack: HNode[] = [n];
  while (stack.length) {
    const x = stack.pop() as HNode;
    if (typeof x.value === 'string') out.push(x.value);
    if (x.children) for (let i = x.children.length - 1; i >= 0; i--) stack.push(x.children[i]);
  }
  return out.join('');
}

/**
 * Flattens syntax-tree nodes nested deeper than MAX_DEPTH into one text node. Runs on the Markdown
 * tree (before it becomes HTML), whose later steps recurse per level and would overflow the stack
 * on a body of 4,000 `>`.
 */
function remarkDepthLimit() {
  const walk = (nodes: HNode[], depth: number): HNode[] =>
    nodes.map((n) => {
      if (!n.children) return n;
      if (depth >= MAX_DEPTH) return { type: 'text', value: textOf(n) };
      n.children = walk(n.children, depth + 1);
      return n;
    });
  return (tree: HRoot) => {
    tree.children = walk(tree.children, 0);
  };
}

/** Raw HTML in a body is shown as the text it is (never parsed, never dropped silently). */
function remarkHtmlAsText() {
  const walk = (nodes: HNode[]) => {
    for (const n of nodes) {
      if (n.type === 'html') n.type = 'text';
      else if (n.children) walk(n.children);
    }
  };
  return (tree: HRoot) => walk(tree.children);
}

/**
 * Keeps only the attributes we render: no `id` (footnotes make some, and ids from user text could
 * clobber globals), no `style`, nothing else a future plugin might add.
 */
const KEPT_PROPERTIES = new Set(['className', 'href', 'src', 'alt', 'start']);
function rehypeStripProperties() {
  const walk = (nodes: HNode[]) => {
    for (const n of nodes) {
      if (!isElement(n)) continue;
      for (const k of Object.keys(n.properties ?? {})) if (!KEPT_PROPERTIES.has(k)) delete n.properties?.[k];
      walk(n.children);
    }
  };
  return (tree: HRoot) => walk(tree.children);
}

/** Wraps `@name` in text (not in code, not in links) in a mention chip. */
function rehypeMentions(opts: { isMe: (name: string) => boolean }) {
  const walk = (nodes: HNode[]): HNode[] =>
    nodes.flatMap((n): HNode[] => {
      if (isElement(n)) {
        if (n.tagName !== 'code' && n.tagName !== 'pre' && n.tagName !== 'a') n.children = walk(n.children);
        return [n];
      }
      if (n.type !== 'text') return [n];
      const runs = splitMentions(n.value ?? '');
      if (runs.length === 1 && !runs[0].mention) return [n];
      return runs.map((r) =>
        r.mention
          ? {
              type: 'element',
              tagName: 'span',
              properties: { className: opts.isMe(r.mention) ? ['mention', 'mention-me'] : ['mention'] },
              children: [{ type: 'text', value: r.text }],
            }
          : { type: 'text', value: r.text },
      );
    });
  return (tree: HRoot) => {
    tree.children = walk(tree.children);
  };
}

/** Highlighting comes with the first code block that names its language (see CodeBlock.tsx). */
const CodeBlock = lazy(() => import('./CodeBlock'));

/** The language of a fenced block (`language-js` on its code element), if it names one. */
function fenceOf(node: HNode | undefined): { lang: string; code: string } | null {
  const code = node?.children?.find((c) => c.type === 'element' && c.tagName === 'code');
  const cls = code?.properties?.className;
  const lang = Array.isArray(cls)
    ? cls
        .map(String)
        .find((c) => /^language-[A-Za-z0-9_+#.-]{1,32}$/.test(c))
        ?.slice('language-'.length)
    : undefined;
  if (!code || !lang) return null;
  return { lang, code: textOf(code).replace(/\n$/, '') };
}

const components: Components = {
  pre: ({ node, children }) => {
    const fence = fenceOf(node);
    const plain = <pre>{children}</pre>;
    return fence ? (
      <Suspense fallback={plain}>
        <CodeBlock lang={fence.lang} code={fence.code} />
      </Suspense>
    ) : (
      plain
    );
  },
  a: ({ href, children }) => {
    const url = safeUrl(href);
    return url ? (
      <a href={url} target="_blank" rel={LINK_REL}>
        {children}
      </a>
    ) : (
      <span className="md-unsafe-link">{children}</span>
    );
  },
  img: ({ src, alt }) => {
    const url = safeUrl(typeof src === 'string' ? src : undefined);
    const label: ReactNode = `🖼 ${alt || url || 'image'}`;
    return url ? (
      <a href={url} target="_blank" rel={LINK_REL} className="md-image-link">
        {label}
      </a>
    ) : (
      <span>{label}</span>
    );
  },
};

export interface MarkdownProps {
  body: string;
  /** The reader, to tell their own mentions from others'. */
  me: { username: string };
  /** What the server parsed from this body (`@channel`/`@here` count only when it says so). */
  mentions?: { userIds: string[]; channel: boolean };
}

/** One message body; memoized, so a message re-renders its Markdown only when its text changes. */
export const Markdown = memo(function Markdown({ body, me, mentions }: MarkdownProps) {
  if (tooComplex(body)) {
    return (
      <div className="md">
        <p className="msg-body">
          {splitMentions(body).map((r, i) =>
            r.mention ? (
              <span
                key={i}
                className={mentionIsMe(r.mention, me, mentions) ? 'mention mention-me' : 'mention'}
              >
                {r.text}
              </span>
            ) : (
              r.text
            ),
          )}
        </p>
      </div>
    );
  }
  return (
    <div className="md">
      <ReactMarkdown
        skipHtml
        allowedElements={ALLOWED_ELEMENTS}
        unwrapDisallowed
        urlTransform={(url) => safeUrl(url) ?? ''}
        remarkPlugins={[remarkGfm, remarkDepthLimit, remarkHtmlAsText]}
        rehypePlugins={[
          [rehypeMentions, { isMe: (name: string) => mentionIsMe(name, me, mentions) }],
          rehypeStripProperties,
        ]}
        components={components}
      >
        {body}
      </ReactMarkdown>
    </div>
  );
});
