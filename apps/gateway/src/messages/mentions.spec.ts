import { candidateNames, MENTIONED_NAMES_MAX, parseMentions, resolveMentions } from './mentions';

/** Each `@name`'s first (longest) candidate: what the body names, before members are matched. */
const names = (body: string) => parseMentions(body).names.map((c) => c[0]);
const resolved = (body: string, members: string[]) =>
  resolveMentions(
    parseMentions(body),
    members.map((username) => ({ id: `id-${username}`, username })),
  );

describe('parseMentions', () => {
  it('finds @usernames case-insensitively, once each, in order of first use', () => {
    expect(names('hi @Alice and @bob_2, and @ALICE again')).toEqual(['alice', 'bob_2']);
    expect(names('@a.b-c_d')).toEqual(['a.b-c_d']);
    expect(parseMentions('hi @alice').channel).toBe(false);
  });

  it('reads @channel and @here (any case) as the whole channel, not as names', () => {
    expect(parseMentions('@channel look').channel).toBe(true);
    expect(parseMentions('ping @HERE!').channel).toBe(true);
    expect(parseMentions('@here.').channel).toBe(true);
    expect(names('@channel @here')).toEqual([]);
    expect(parseMentions('@channels').channel).toBe(false);
    expect(names('@channels')).toEqual(['channels']);
  });

  it('does not read an @ inside a word (email addresses)', () => {
    expect(names('mail me@example.com or a_@bob or x1@carol')).toEqual([]);
    expect(names('é@dave')).toEqual([]);
    expect(names('(@erin) "@frank" @@gina')).toEqual(['erin', 'frank', 'gina']);
  });

  it('leaves trailing punctuation out of the name, unless a member is called that', () => {
    expect(resolved('thanks @alice.', ['alice'])).toEqual(['id-alice']);
    expect(resolved('thanks @alice...', ['alice'])).toEqual(['id-alice']);
    expect(resolved('hey @alice-, @bob!', ['alice', 'bob'])).toEqual(['id-alice', 'id-bob']);
    expect(resolved('hey @bob.', ['bob', 'bob.'])).toEqual(['id-bob.']);
    expect(resolved('@alice: @bob; @carol? @dave)', ['alice', 'bob', 'carol', 'dave'])).toEqual([
      'id-alice',
      'id-bob',
      'id-carol',
      'id-dave',
    ]);
  });

  it('only counts names of 3 to 32 characters', () => {
    expect(names('@ab @abc')).toEqual(['abc']);
    expect(names(`@${'a'.repeat(32)}`)).toEqual(['a'.repeat(32)]);
    expect(names(`@${'a'.repeat(33)}`)).toEqual([]);
    expect(names(`@${'a'.repeat(32)}.`)).toEqual(['a'.repeat(32)]);
  });

  it('ignores mentions in inline code spans, including multi-backtick ones', () => {
    expect(names('see `@alice` and @bob')).toEqual(['bob']);
    expect(names('`` code with ` and @alice `` then @bob')).toEqual(['bob']);
    expect(names('``` inline @alice ``` @carol')).toEqual(['carol']);
    // An opener without a closer of the same length is literal text.
    expect(names('`unclosed @alice')).toEqual(['alice']);
    expect(names('`` @alice ` @bob')).toEqual(['alice', 'bob']);
    expect(names('`a` @alice `b`')).toEqual(['alice']);
  });

  it('ignores mentions in fenced code blocks of backticks or tildes', () => {
    expect(names('before @alice\n```\n@bob\n```\nafter @carol')).toEqual(['alice', 'carol']);
    expect(names('~~~ts\n@bob\n~~~\n@carol')).toEqual(['carol']);
    expect(names('````\n@bob\n```\n@dave\n````\n@carol')).toEqual(['carol']);
    expect(names('```\n@bob\n~~~\n@dave')).toEqual([]);
    expect(names('   ```\n@bob\n```\n@erin')).toEqual(['erin']);
    // Not a fence: four spaces of indent, two backticks.
    expect(names('``\n@bob\n``')).toEqual([]);
    expect(names('    ```\n@bob')).toEqual(['bob']);
  });

  it('reads at most MENTIONED_NAMES_MAX distinct names', () => {
    const body = Array.from({ length: 200 }, (_, i) => `@user${i}`).join(' ');
    expect(names(body)).toHaveLength(MENTIONED_NAMES_MAX);
    expect(names(body)[0]).toBe('user0');
  });

  it('stays cheap on hostile bodies', () => {
    const hostile = [
      '`'.repeat(4000),
      '@'.repeat(4000),
      '@a'.repeat(2000),
      Array.from({ length: 88 }, (_, i) => '`'.repeat(i + 1)).join('x'),
      '```\n'.repeat(1000),
      `@${'a.'.repeat(1999)}`,
      '~~~\n@x\n'.repeat(500),
      `${'`@a'.repeat(1333)}`,
    ];
    for (const body of hostile) {
      const parsed = parseMentions(body);
      expect(parsed.names.length).toBeLessThanOrEqual(MENTIONED_NAMES_MAX);
      expect(candidateNames(parsed).length).toBeLessThanOrEqual(MENTIONED_NAMES_MAX * 33);
    }
    // Longer than a body may be: read up to the limit only.
    expect(names(`${'x '.repeat(2000)}@alice`)).toEqual([]);
  });

  it('resolves names to members only, each member once', () => {
    expect(resolved('@alice @bob @Alice @nobody', ['Alice', 'bob'])).toEqual(['id-Alice', 'id-bob']);
    expect(resolved('@alice', [])).toEqual([]);
  });
});
