import {
  completeMention,
  mentionIsMe,
  mentionOptions,
  mentionQuery,
  moveActive,
  splitMentions,
} from './mentions';

describe('mentions in text', () => {
  it('splits @names, @channel and @here out of text', () => {
    expect(splitMentions('hi @bob, and @channel!')).toEqual([
      { text: 'hi ' },
      { text: '@bob', mention: 'bob' },
      { text: ', and ' },
      { text: '@channel', mention: 'channel' },
      { text: '!' },
    ]);
  });

  it('leaves trailing punctuation and email addresses alone', () => {
    expect(splitMentions('thanks @alice.')).toEqual([
      { text: 'thanks ' },
      { text: '@alice', mention: 'alice' },
      { text: '.' },
    ]);
    expect(splitMentions('write to me@example.com')).toEqual([{ text: 'write to me@example.com' }]);
    expect(splitMentions('@@bob')).toEqual([{ text: '@@bob' }]);
    expect(splitMentions('(@a.b-c)')).toEqual([
      { text: '(' },
      { text: '@a.b-c', mention: 'a.b-c' },
      { text: ')' },
    ]);
  });

  it('tells the reader’s own mentions: their name, or @channel/@here when the server says so', () => {
    const me = { username: 'Alice' };
    expect(mentionIsMe('alice', me, { channel: false })).toBe(true);
    expect(mentionIsMe('bob', me, { channel: true })).toBe(false);
    expect(mentionIsMe('here', me, { channel: true })).toBe(true);
    expect(mentionIsMe('channel', me, { channel: false })).toBe(false);
  });
});

describe('the composer’s @-autocomplete', () => {
  const members = ['alice', 'bob', 'bobby', 'carol', 'Jimbo'].map((username) => ({ username }));

  it('finds the @word at the caret', () => {
    expect(mentionQuery('hello @bo', 9)).toEqual({ start: 6, query: 'bo' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('mail me@exa', 11)).toBeNull();
    expect(mentionQuery('hello @bob there', 16)).toBeNull();
    expect(mentionQuery('hello @bob there', 10)).toEqual({ start: 6, query: 'bob' });
  });

  it('suggests prefix matches first, then substring matches, then @channel/@here, never me', () => {
    expect(mentionOptions('bo', members, 'alice').map((o) => o.name)).toEqual(['bob', 'bobby', 'Jimbo']);
    expect(mentionOptions('', members, 'alice').map((o) => o.name)).toEqual([
      'bob',
      'bobby',
      'carol',
      'Jimbo',
      'channel',
      'here',
    ]);
    expect(mentionOptions('h', members, 'alice').map((o) => o.name)).toEqual(['here']);
    expect(mentionOptions('', members, 'alice', 3)).toHaveLength(3);
  });

  it('completes the mention with a space and puts the caret after it', () => {
    expect(completeMention('hi @bo', { start: 3, query: 'bo' }, 'bobby')).toEqual({
      text: 'hi @bobby ',
      caret: 10,
    });
    expect(completeMention('hi @bo there', { start: 3, query: 'bo' }, 'bob')).toEqual({
      text: 'hi @bob there',
      caret: 8,
    });
  });

  it('moves the highlight with the arrow keys, wrapping around', () => {
    expect(moveActive(-1, 1, 3)).toBe(0);
    expect(moveActive(-1, -1, 3)).toBe(2);
    expect(moveActive(2, 1, 3)).toBe(0);
    expect(moveActive(0, -1, 3)).toBe(2);
    expect(moveActive(0, 1, 0)).toBe(-1);
  });
});
