/**
 * A hook for the browser tests: when a test sets `window.__renderCounts = {}`, the components that
 * call this count their renders there (see e2e/chat.e2e-spec.ts, which checks that typing and
 * presence do not re-render the message list). Without it, this is one property read.
 */
export function countRender(name: string): void {
  const counts = (window as { __renderCounts?: Record<string, number> }).__renderCounts;
  if (counts) counts[name] = (counts[name] ?? 0) + 1;
}
