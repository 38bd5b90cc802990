import data from 'emojibase-data/en/compact.json';
import iamcal from 'emojibase-data/en/shortcodes/iamcal.json';
import { isReactionEmoji } from '@chat/contracts';
import {
  addRecent,
  buildEmojiIndex,
  gridMove,
  normalizeEmoji,
  offeredEmoji,
  POPULAR_EMOJI,
  readRecent,
  readTone,
  RECENT_KEY,
  RECENT_MAX,
  recentRow,
  saveRecent,
  saveTone,
  searchEmoji,
  TONE_KEY,
  withTone,
  type EmojiStorage,
} from './emoji';

/** The same files the picker loads, through the same function. */
const index = buildEmojiIndex(data, iamcal);

function memoryStorage(init: Record<string, string> = {}): EmojiStorage & { items: Record<string, string> } {
  const items = { ...init };
  return {
    items,
    getItem: (k) => items[k] ?? null,
    setItem: (k, v) => {
      items[k] = v;
    },
  };
}

const find = (label: string) => index.all.find((e) => e.label === label)!;

describe('emoji picker data', () => {
  it('offers only emoji the server accepts as reactions (and says how many)', () => {
    const offered = offeredEmoji(index);
    const refused = offered.filter((e) => !isReactionEmoji(e));
    expect(refused).toEqual([]);
    expect(new Set(offered).size).toBe(offered.length);
    // emojibase-data 17.0.0 (pinned): 1,914 emoji outside "component", 3,549 with their tones.
    expect(index.all).toHaveLength(1914);
    expect(offered).toHaveLength(3549);
  });

  it('has the categories a chat user expects, without components or loose letters', () => {
    expect(index.categories.map((c) => c.label)).toEqual([
      'Smileys & Emotion',
      'People & Body',
      'Animals & Nature',
      'Food & Drink',
      'Travel & Places',
      'Activities',
      'Objects',
      'Symbols',
      'Flags',
    ]);
    const offered = new Set(offeredEmoji(index));
    expect(offered.has('🏻')).toBe(false); // a bare skin tone is a component
    expect(offered.has('🇦')).toBe(false); // a regional indicator letter alone
    expect(offered.has('🇫🇷')).toBe(true);
    expect(offered.has('🏴󠁧󠁢󠁳󠁣󠁴󠁿')).toBe(true);
    expect(index.categories.every((c) => c.emoji.length > 0)).toBe(true);
    expect(index.categories[0].emoji[0].emoji).toBe('😀');
  });

  it('sends the fully-qualified form, so 👍 from a keyboard and from the picker are one reaction', () => {
    expect(find('thumbs up').emoji).toBe('👍');
    expect(find('red heart').emoji).toBe('❤️');
    expect(normalizeEmoji('👍\uFE0F')).toBe('👍');
    expect(normalizeEmoji('☺\uFE0F')).toBe('☺\uFE0F');
    expect(offeredEmoji(index).filter((e) => /\p{Emoji_Presentation}\uFE0F/u.test(e))).toEqual([]);
  });

  it('applies a skin tone to emoji that have one, and leaves the rest alone', () => {
    const thumbs = find('thumbs up');
    expect(withTone(thumbs, 0)).toEqual({ emoji: '👍', label: 'thumbs up' });
    expect(withTone(thumbs, 3)).toEqual({ emoji: '👍🏽', label: 'thumbs up: medium skin tone' });
    expect(withTone(find('handshake'), 5).emoji).toBe('🤝🏿');
    expect(withTone(find('tired face'), 4).emoji).toBe('😫');
    const couple = find('people holding hands');
    expect(withTone(couple, 1).emoji).toBe('🧑🏻‍🤝‍🧑🏻');
  });

  it('finds emoji by label, tag and shortcode, case-insensitively, best match first', () => {
    expect(searchEmoji(index, 'Thumbs Up')[0].emoji).toBe('👍');
    expect(searchEmoji(index, ':+1:')[0].emoji).toBe('👍');
    expect(searchEmoji(index, 'tada')[0].emoji).toBe('🎉');
    expect(searchEmoji(index, 'JOY')[0].emoji).toBe('😂');
    expect(searchEmoji(index, 'celebrat').map((e) => e.emoji)).toContain('🎉'); // a tag
    expect(searchEmoji(index, 'pizza')[0].emoji).toBe('🍕');
    expect(searchEmoji(index, 'zzzznothing')).toEqual([]);
    expect(searchEmoji(index, '   ')).toEqual([]);
  });

  it('keeps recently used emoji newest first, without duplicates, bounded', () => {
    let recent: string[] = [];
    for (const e of index.all.slice(0, RECENT_MAX + 6)) recent = addRecent(recent, e.emoji);
    recent = addRecent(recent, index.all[RECENT_MAX].emoji);
    expect(recent).toHaveLength(RECENT_MAX);
    expect(recent[0]).toBe(index.all[RECENT_MAX].emoji);
    expect(new Set(recent).size).toBe(RECENT_MAX);

    const storage = memoryStorage();
    saveRecent(storage, ['🎉', '👍🏽']);
    expect(readRecent(storage, index)).toEqual(['🎉', '👍🏽']);
  });

  it('reads back only valid, offered emoji from whatever is in storage', () => {
    const junk = JSON.stringify(['🎉', 'abc', 42, '🎉', '🏻', '<script>', '👍']);
    expect(readRecent(memoryStorage({ [RECENT_KEY]: junk }), index)).toEqual(['🎉', '👍']);
    expect(readRecent(memoryStorage({ [RECENT_KEY]: '{not json' }), index)).toEqual([]);
    expect(readRecent(memoryStorage({ [RECENT_KEY]: '{"a":1}' }), index)).toEqual([]);
    expect(
      readRecent(memoryStorage({ [RECENT_KEY]: JSON.stringify(Array(5000).fill('🎉')) }), index),
    ).toEqual([]);
    const throwing: EmojiStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(readRecent(throwing, index)).toEqual([]);
    expect(() => saveRecent(throwing, ['🎉'])).not.toThrow();
    expect(readTone(throwing)).toBe(0);
  });

  it('fills the recent row with popular emoji for a new user, in their skin tone', () => {
    const fresh = recentRow(index, [], 2);
    expect(fresh.map((c) => c.emoji)).toEqual(
      POPULAR_EMOJI.map((p) => withTone(index.byEmoji.get(p)!, 2).emoji),
    );
    expect(fresh[0]).toEqual({ emoji: '👍🏼', label: 'thumbs up: medium-light skin tone' });
    const used = recentRow(index, ['🍕', '👍🏿'], 0);
    expect(used.slice(0, 2)).toEqual([
      { emoji: '🍕', label: 'pizza' },
      { emoji: '👍🏿', label: 'thumbs up: dark skin tone' },
    ]);
    expect(used.map((c) => c.emoji)).not.toContain('👍'); // already there in another tone
    expect(used.length).toBeLessThanOrEqual(RECENT_MAX);
  });

  it('remembers the skin tone, and ignores a stored value it does not know', () => {
    const storage = memoryStorage();
    expect(readTone(storage)).toBe(0);
    saveTone(storage, 4);
    expect(readTone(storage)).toBe(4);
    expect(readTone(memoryStorage({ [TONE_KEY]: '9' }))).toBe(0);
    expect(readTone(memoryStorage({ [TONE_KEY]: '2.5' }))).toBe(0);
  });

  it('moves through the grid with the arrow keys', () => {
    expect(gridMove(0, 'ArrowRight', 20, 8)).toBe(1);
    expect(gridMove(19, 'ArrowRight', 20, 8)).toBe(19);
    expect(gridMove(0, 'ArrowLeft', 20, 8)).toBe(0);
    expect(gridMove(3, 'ArrowDown', 20, 8)).toBe(11);
    expect(gridMove(15, 'ArrowDown', 20, 8)).toBe(15); // no cell below
    expect(gridMove(11, 'ArrowUp', 20, 8)).toBe(3);
    expect(gridMove(3, 'ArrowUp', 20, 8)).toBe(-1); // back to the search box
    expect(gridMove(5, 'End', 20, 8)).toBe(19);
    expect(gridMove(5, 'Home', 20, 8)).toBe(0);
    expect(gridMove(5, 'a', 20, 8)).toBeUndefined();
    expect(gridMove(0, 'ArrowDown', 0, 8)).toBeUndefined();
  });
});
