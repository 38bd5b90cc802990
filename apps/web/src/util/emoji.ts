import { canonicalEmoji, isReactionEmoji } from '@chat/contracts';

/**
 * The emoji picker's data, built from emojibase (`emojibase-data/en/compact.json` and the iamcal
 * shortcodes, the ones Slack and Mattermost use: `:+1:`, `:tada:`, `:joy:`). Pure: the picker
 * loads the JSON lazily and hands it here, and tests feed the same files.
 */

/** The part of an emojibase `CompactEmoji` the picker reads. */
export interface RawEmoji {
  hexcode: string;
  label: string;
  unicode: string;
  group?: number;
  order?: number;
  tags?: string[];
  skins?: RawEmoji[];
}

/** emojibase shortcodes dataset: hexcode → one shortcode or several. */
export type RawShortcodes = Record<string, string | string[]>;

/** 0: no modifier (the yellow default), 1–5: light … dark (U+1F3FB … U+1F3FF). */
export type SkinTone = 0 | 1 | 2 | 3 | 4 | 5;

export const SKIN_TONES: readonly { tone: SkinTone; label: string; sample: string }[] = [
  { tone: 0, label: 'Default skin tone', sample: '✋' },
  { tone: 1, label: 'Light skin tone', sample: '✋🏻' },
  { tone: 2, label: 'Medium-light skin tone', sample: '✋🏼' },
  { tone: 3, label: 'Medium skin tone', sample: '✋🏽' },
  { tone: 4, label: 'Medium-dark skin tone', sample: '✋🏾' },
  { tone: 5, label: 'Dark skin tone', sample: '✋🏿' },
];

/** One emoji the picker offers (its default form), with its single-tone variants. */
export interface PickerEmoji {
  emoji: string;
  label: string;
  group: number;
  order: number;
  shortcodes: string[];
  /** Lower-cased words to search: label, tags, shortcodes. */
  words: string[];
  /** `tones[t - 1]`: the variant in tone t, where every person in it has that tone. */
  tones?: { emoji: string; label: string }[];
}

export interface EmojiCategory {
  key: string;
  label: string;
  icon: string;
  emoji: PickerEmoji[];
}

export interface EmojiIndex {
  categories: EmojiCategory[];
  /** Every offered emoji in picker order. */
  all: PickerEmoji[];
  /** Any offered emoji string (default or toned) → its label and the entry it is a form of. */
  forms: Map<string, { label: string; entry: PickerEmoji }>;
  /** Default form → entry (to apply a skin tone to a recent or popular pick). */
  byEmoji: Map<string, PickerEmoji>;
}

/**
 * emojibase groups, in its order. "component" (bare skin tones and hair styles) is left out: those
 * are parts of emoji, not emoji. Regional indicator letters have no group and are left out too.
 */
const GROUPS: readonly { group: number; key: string; label: string; icon: string }[] = [
  { group: 0, key: 'smileys-emotion', label: 'Smileys & Emotion', icon: '😀' },
  { group: 1, key: 'people-body', label: 'People & Body', icon: '👋' },
  { group: 3, key: 'animals-nature', label: 'Animals & Nature', icon: '🐻' },
  { group: 4, key: 'food-drink', label: 'Food & Drink', icon: '🍔' },
  { group: 5, key: 'travel-places', label: 'Travel & Places', icon: '🚗' },
  { group: 6, key: 'activities', label: 'Activities', icon: '⚽' },
  { group: 7, key: 'objects', label: 'Objects', icon: '💡' },
  { group: 8, key: 'symbols', label: 'Symbols', icon: '❤️' },
  { group: 9, key: 'flags', label: 'Flags', icon: '🏁' },
];

const TONE_MODIFIER = /[\u{1F3FB}-\u{1F3FF}]/gu;

/** The form the server stores a reaction in (libs/contracts canonicalEmoji). */
export const normalizeEmoji = canonicalEmoji;

/** The one tone every modifier in `emoji` has, or undefined (none, or people of mixed tones). */
function toneOf(emoji: string): SkinTone | undefined {
  const tones = new Set((emoji.match(TONE_MODIFIER) ?? []).map((m) => m.codePointAt(0)! - 0x1f3fa));
  return tones.size === 1 ? ([...tones][0] as SkinTone) : undefined;
}

function codesOf(shortcodes: RawShortcodes, hexcode: string): string[] {
  const codes = shortcodes[hexcode];
  return codes === undefined ? [] : typeof codes === 'string' ? [codes] : codes;
}

/**
 * Builds the picker's index. Only emoji the server accepts are kept: each form goes through the
 * contract's own `isReactionEmoji`, so the picker never offers a reaction that would be refused.
 */
export function buildEmojiIndex(data: readonly RawEmoji[], shortcodes: RawShortcodes): EmojiIndex {
  const forms = new Map<string, { label: string; entry: PickerEmoji }>();
  const byEmoji = new Map<string, PickerEmoji>();
  const categories: EmojiCategory[] = GROUPS.map(({ key, label, icon }) => ({ key, label, icon, emoji: [] }));
  for (const raw of data) {
    const at = GROUPS.findIndex((g) => g.group === raw.group);
    if (at < 0) continue;
    const emoji = normalizeEmoji(raw.unicode);
    if (!isReactionEmoji(emoji) || byEmoji.has(emoji)) continue;
    const codes = codesOf(shortcodes, raw.hexcode);
    const entry: PickerEmoji = {
      emoji,
      label: raw.label,
      group: raw.group!,
      order: raw.order ?? Number.MAX_SAFE_INTEGER,
      shortcodes: codes,
      words: [raw.label, ...(raw.tags ?? []), ...codes].map((w) => w.toLowerCase()),
    };
    const tones = tonedVariants(raw.skins ?? []);
    if (tones) entry.tones = tones;
    for (const t of tones ?? []) forms.set(t.emoji, { label: t.label, entry });
    forms.set(emoji, { label: raw.label, entry });
    byEmoji.set(emoji, entry);
    categories[at].emoji.push(entry);
  }
  for (const c of categories) c.emoji.sort((a, b) => a.order - b.order);
  return { categories, all: categories.flatMap((c) => c.emoji), forms, byEmoji };
}

/** The five single-tone variants, or undefined unless all five exist and are accepted. */
function tonedVariants(skins: readonly RawEmoji[]): PickerEmoji['tones'] {
  const tones: NonNullable<PickerEmoji['tones']> = [];
  for (const skin of skins) {
    const emoji = normalizeEmoji(skin.unicode);
    const tone = toneOf(emoji);
    if (tone === undefined || tones[tone - 1] || !isReactionEmoji(emoji)) continue;
    tones[tone - 1] = { emoji, label: skin.label };
  }
  return tones.length === 5 && tones.every(Boolean) ? tones : undefined;
}

/** Every emoji string the picker can offer: each default form and each of its tones. */
export function offeredEmoji(index: EmojiIndex): string[] {
  return index.all.flatMap((e) => [e.emoji, ...(e.tones ?? []).map((t) => t.emoji)]);
}

/** The form shown and sent for `entry` in skin tone `tone` (emoji without tones stay as they are). */
export function withTone(entry: PickerEmoji, tone: SkinTone): { emoji: string; label: string } {
  return (tone > 0 && entry.tones?.[tone - 1]) || { emoji: entry.emoji, label: entry.label };
}

/**
 * Emoji matching `query` (case-insensitive; `:tada:` finds the shortcode tada) by label, tag or
 * shortcode. Best first: an exact label or shortcode, an exact tag, a word starting with the query,
 * then the rest, each in picker order.
 */
export function searchEmoji(index: EmojiIndex, query: string): PickerEmoji[] {
  const q = query.trim().toLowerCase().replace(/^:/, '').replace(/:$/, '');
  if (!q) return [];
  const ranked: [number, PickerEmoji][] = [];
  for (const e of index.all) {
    let rank = e.label.toLowerCase() === q || e.shortcodes.includes(q) ? 0 : 4;
    for (const w of e.words) {
      if (rank === 0) break;
      if (w === q) rank = 1;
      else if (w.startsWith(q) || w.includes(` ${q}`)) rank = Math.min(rank, 2);
      else if (w.includes(q)) rank = Math.min(rank, 3);
    }
    if (rank < 4) ranked.push([rank, e]);
  }
  return ranked.sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

/** What a new user sees under "Recently used" before picking anything (Slack's defaults, roughly). */
export const POPULAR_EMOJI = [
  '👍',
  '❤️',
  '😂',
  '🎉',
  '🙏',
  '👀',
  '🔥',
  '✅',
  '😀',
  '😮',
  '😢',
  '👎',
  '🚀',
  '💯',
  '👏',
  '🤔',
];

/** How many recent picks are kept and shown. */
export const RECENT_MAX = 24;
/** A stored list longer than this is not parsed: a budget for whatever another script left there. */
const RECENT_RAW_MAX = 4096;

export const RECENT_KEY = 'chat.emoji.recent';
export const TONE_KEY = 'chat.emoji.skinTone';

/** The part of `localStorage` used here (it throws when storage is disabled). */
export type EmojiStorage = Pick<Storage, 'getItem' | 'setItem'>;

function read(storage: EmojiStorage, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function write(storage: EmojiStorage, key: string, value: string): void {
  try {
    storage.setItem(key, value);
  } catch {
    // Storage full or disabled: the picker still works, it just forgets.
  }
}

/** Recent picks, newest first: only emoji this picker offers, no duplicates, at most RECENT_MAX. */
export function readRecent(storage: EmojiStorage, index: EmojiIndex): string[] {
  const raw = read(storage, RECENT_KEY);
  if (!raw || raw.length > RECENT_RAW_MAX) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const seen = new Set<string>();
  for (const e of parsed) {
    if (typeof e === 'string' && index.forms.has(e)) seen.add(e);
    if (seen.size === RECENT_MAX) break;
  }
  return [...seen];
}

/** `emoji` moved to the front of `recent`, bounded to RECENT_MAX. */
export function addRecent(recent: readonly string[], emoji: string): string[] {
  return [emoji, ...recent.filter((e) => e !== emoji)].slice(0, RECENT_MAX);
}

export function saveRecent(storage: EmojiStorage, recent: readonly string[]): void {
  write(storage, RECENT_KEY, JSON.stringify(recent.slice(0, RECENT_MAX)));
}

/**
 * The "Recently used" row: recent picks, then popular emoji (in the chosen tone) to fill it, so a
 * first-time user has the usual reactions one click away.
 */
export function recentRow(
  index: EmojiIndex,
  recent: readonly string[],
  tone: SkinTone,
): { emoji: string; label: string }[] {
  const row = recent.map((emoji) => ({ emoji, label: index.forms.get(emoji)?.label ?? emoji }));
  const shown = new Set(recent.map((e) => index.forms.get(e)?.entry.emoji ?? e));
  for (const p of POPULAR_EMOJI) {
    if (row.length >= RECENT_MAX) break;
    const entry = index.byEmoji.get(p);
    if (entry && !shown.has(p)) row.push(withTone(entry, tone));
  }
  return row;
}

export function readTone(storage: EmojiStorage): SkinTone {
  const n = Number(read(storage, TONE_KEY));
  return Number.isInteger(n) && n >= 0 && n <= 5 ? (n as SkinTone) : 0;
}

export function saveTone(storage: EmojiStorage, tone: SkinTone): void {
  write(storage, TONE_KEY, String(tone));
}

/**
 * Where focus goes in a grid of `count` cells, `columns` wide, from cell `at` on `key`; undefined
 * for keys the grid does not handle, -1 to leave the grid upwards (back to the search box).
 */
export function gridMove(at: number, key: string, count: number, columns: number): number | undefined {
  if (count === 0) return undefined;
  switch (key) {
    case 'ArrowRight':
      return Math.min(at + 1, count - 1);
    case 'ArrowLeft':
      return Math.max(at - 1, 0);
    case 'ArrowDown':
      return at + columns < count ? at + columns : at;
    case 'ArrowUp':
      return at - columns >= 0 ? at - columns : -1;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    case 'PageDown':
      return Math.min(at + columns * 5, count - 1);
    case 'PageUp':
      return Math.max(at - columns * 5, 0);
    default:
      return undefined;
  }
}
