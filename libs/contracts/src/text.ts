/**
 * Characters no client shows from text someone else wrote: C0 and C1 controls (but tab, newline
 * and carriage return, which each caller turns into what its output needs), DEL, lone surrogates,
 * and the invisible formatting characters a text could disguise itself with: bidi embeddings,
 * overrides, isolates and marks (they reorder what is shown around them), zero-width space, soft
 * hyphen, BOM. Right-to-left text itself stays; ZWJ/ZWNJ stay (emoji sequences and some scripts
 * need them). Used by the notifications the gateway writes and by the terminal client.
 */
const HIDDEN =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` without its hidden characters (see HIDDEN); tabs, newlines and carriage returns stay. */
export function withoutHiddenCharacters(text: string): string {
  return text.replace(HIDDEN, '');
}
