import { LIMITS } from './limits';

/**
 * One emoji as a picker produces it: a keycap (`1️⃣`), a flag (two regional indicators), or a
 * pictograph with optional presentation selector and skin tone, subdivision tags (🏴󠁧󠁢󠁳󠁣󠁴󠁿) and
 * ZWJ-joined pictographs (👨‍👩‍👧, 🏳️‍🌈, 🧑🏽‍💻). Letters, digits, spaces, controls, bidi marks and
 * combining marks match none of these.
 */
const PICTOGRAPH = String.raw`\p{Extended_Pictographic}[\uFE0E\uFE0F]?\p{Emoji_Modifier}?\uFE0F?`;
const EMOJI = new RegExp(
  String.raw`^(?:[0-9#*]\uFE0F?\u20E3|\p{Regional_Indicator}{2}|` +
    String.raw`${PICTOGRAPH}(?:[\u{E0020}-\u{E007E}]{1,8}\u{E007F})?(?:\u200D${PICTOGRAPH})*)$`,
  'u',
);

/** A lone surrogate: not text at all (it cannot be encoded as UTF-8). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Longer than this (in UTF-16 units) is refused before any parsing: a budget for hostile input. */
const MAX_UNITS = 64;

let segmenter: Intl.Segmenter | undefined;

/**
 * Whether `value` is a reaction the contract accepts: a `:short_name:` of `[a-z0-9_+-]{1,32}`, or
 * exactly one grapheme of at most 32 UTF-8 bytes that is an emoji. Cheap and bounded whatever the
 * input (a length check comes first). The server stores reactions in canonicalEmoji's form, so
 * `👍` and `👍` + U+FE0F are one reaction; `❤` and `❤️` stay two (the selector is not redundant there).
 */
export function isReactionEmoji(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_UNITS) return false;
  if (LIMITS.reactionShortNamePattern.test(value)) return true;
  if (LONE_SURROGATE.test(value)) return false;
  if (new TextEncoder().encode(value).length > LIMITS.reactionEmojiBytesMax) return false;
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let graphemes = 0;
  for (const _ of segmenter.segment(value)) if (++graphemes > 1) return false;
  return EMOJI.test(value);
}

/** A variation selector-16 after a character that is an emoji by default anyway. */
const REDUNDANT_VS16 = /(\p{Emoji_Presentation})\uFE0F/gu;

/**
 * The form a reaction is stored and compared in: the fully-qualified one (Unicode's emoji-test.txt)
 * that keyboards send, without a variation selector-16 after a character that is an emoji by
 * default (some pickers and data sets write `👍` as U+1F44D U+FE0F). Without it, two people's 👍
 * could be two chips that look the same.
 */
export function canonicalEmoji(emoji: string): string {
  return emoji.replace(REDUNDANT_VS16, '$1');
}
