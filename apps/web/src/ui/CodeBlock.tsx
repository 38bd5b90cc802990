import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';

/**
 * A fenced code block with syntax highlighting. Loaded lazily (React.lazy, from Markdown.tsx)
 * with the first code block that names its language: highlight.js's grammars are most of the
 * weight of Markdown support, and most messages have no code. The block goes through the same
 * Markdown pipeline (a fence, no HTML), so only `pre`, `code` and highlight spans come out.
 */
export default function CodeBlock({ lang, code }: { lang: string; code: string }) {
  // A fence longer than any backtick run in the code always closes after it.
  const fence = '`'.repeat(Math.max(3, ...Array.from(code.matchAll(/`+/g), (m) => m[0].length + 1)));
  return (
    <ReactMarkdown
      skipHtml
      allowedElements={['pre', 'code', 'span']}
      rehypePlugins={[[rehypeHighlight, { detect: false }]]}
    >
      {`${fence}${lang}\n${code}\n${fence}`}
    </ReactMarkdown>
  );
}
