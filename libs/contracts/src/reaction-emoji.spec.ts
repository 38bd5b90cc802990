import { canonicalEmoji, isReactionEmoji } from './reaction-emoji';

describe('isReactionEmoji', () => {
  it.each([
    ['a pictograph', '👍'],
    ['a text-default pictograph made emoji', '❤️'],
    ['the same without the selector', '❤'],
    ['a skin tone', '👍🏽'],
    ['a ZWJ family', '👨‍👩‍👧‍👦'],
    ['a ZWJ flag', '🏳️‍🌈'],
    ['a ZWJ profession with skin tone', '🧑🏽‍💻'],
    ['a gendered ZWJ sequence', '🏌🏽‍♀️'],
    ['a country flag', '🇫🇷'],
    ['a keycap', '1️⃣'],
    ['a bare keycap', '#⃣'],
    ['a subdivision flag', '🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
    ['a recent emoji', '🫠'],
    ['a short name', ':white_check_mark:'],
    ['a short name with + and -', ':+1:'],
    ['a 32-character short name', `:${'a'.repeat(32)}:`],
  ])('accepts %s', (_what, value) => {
    expect(isReactionEmoji(value)).toBe(true);
  });

  it.each([
    ['a letter', 'a'],
    ['a digit', '1'],
    ['a space', ' '],
    ['an ideographic space', '\u3000'],
    ['the empty string', ''],
    ['NUL', '\u0000'],
    ['an emoji and NUL', '👍\u0000'],
    ['two emoji', '👍👍'],
    ['an emoji and a space', '👍 '],
    ['a bidi override and an emoji', '\u202E👍'],
    ['a lone ZWJ', '\u200D'],
    ['a lone skin tone', '🏽'],
    ['a lone selector', '\uFE0F'],
    ['a letter with a combining mark', 'e\u0301'],
    ['an emoji with a flood of combining marks', '👍' + '\u0301'.repeat(10_000)],
    ['a lone high surrogate', '\uD83D'],
    ['swapped surrogates', '\uDC4D\uD83D'],
    ['a lone regional indicator', '🇫'],
    ['three regional indicators', '🇫🇷🇫'],
    ['one grapheme over 32 bytes', '🧑🏻‍❤️‍💋‍🧑🏼'],
    ['an upper-case short name', ':Smile:'],
    ['an empty short name', '::'],
    ['a 33-character short name', `:${'a'.repeat(33)}:`],
    ['a short name with a slash', ':a/b:'],
    ['a huge string', 'x'.repeat(1_000_000)],
    ['not a string', 42],
    ['null', null],
  ])('refuses %s', (_what, value) => {
    expect(isReactionEmoji(value)).toBe(false);
  });
});

describe('canonicalEmoji', () => {
  it('drops a variation selector only where the character is an emoji by default', () => {
    expect(canonicalEmoji('👍\uFE0F')).toBe('👍');
    expect(canonicalEmoji('👍🏽')).toBe('👍🏽');
    expect(canonicalEmoji('❤️')).toBe('❤️');
    expect(canonicalEmoji('🏳️‍🌈')).toBe('🏳️‍🌈');
    expect(canonicalEmoji('1️⃣')).toBe('1️⃣');
    expect(canonicalEmoji(':tada:')).toBe(':tada:');
  });
});
