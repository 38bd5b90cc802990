import { normalizeUrl, parseArgs, UsageError } from './config';

describe('parseArgs', () => {
  const run = (argv: string[], env: Record<string, string> = {}, tty = true) => {
    const parsed = parseArgs(argv, env, tty);
    if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
    return parsed.config;
  };

  it('reads --url in both spellings and drops a trailing slash', () => {
    expect(run(['--url', 'http://localhost:8080/']).url).toBe('http://localhost:8080');
    expect(run(['--url=https://chat.example.com']).url).toBe('https://chat.example.com');
    expect(run(['-u', 'http://127.0.0.1:3000']).url).toBe('http://127.0.0.1:3000');
  });

  it('keeps a path prefix for a chat served under a sub-path', () => {
    expect(run(['--url', 'https://example.com/chat/']).url).toBe('https://example.com/chat');
  });

  it('takes the URL, token and user from the environment when not given', () => {
    const c = run([], { CHAT_URL: 'http://h:1', CHAT_TOKEN: ' tok ', CHAT_USER: 'alice' });
    expect(c).toEqual({ url: 'http://h:1', token: 'tok', username: 'alice', color: true });
  });

  it('prefers the command line over the environment', () => {
    const c = run(['--url', 'http://a:1', '--token', 'cli'], { CHAT_URL: 'http://b:2', CHAT_TOKEN: 'env' });
    expect(c.url).toBe('http://a:1');
    expect(c.token).toBe('cli');
  });

  it('treats an empty CHAT_TOKEN as no token', () => {
    expect(run(['--url', 'http://a:1'], { CHAT_TOKEN: '' }).token).toBeUndefined();
  });

  it('turns colours off for --no-color, NO_COLOR and a non-terminal', () => {
    expect(run(['--url', 'http://a:1', '--no-color']).color).toBe(false);
    expect(run(['--url', 'http://a:1'], { NO_COLOR: '1' }).color).toBe(false);
    expect(run(['--url', 'http://a:1'], {}, false).color).toBe(false);
  });

  it('reads --channel', () => {
    expect(run(['--url', 'http://a:1', '-c', 'general']).channel).toBe('general');
  });

  it('answers --help and --version before anything else', () => {
    expect(parseArgs(['--url', 'http://a:1', '--help', '--bogus'], {})).toEqual({ kind: 'help' });
    expect(parseArgs(['-h'], {})).toEqual({ kind: 'help' });
    expect(parseArgs(['--version'], {})).toEqual({ kind: 'version' });
  });

  it.each([
    [[], /--url is required/],
    [['--url'], /--url needs a value/],
    [['--url', '--token', 'x'], /--url needs a value/],
    [['--url='], /--url needs a value/],
    [['--url', 'http://a:1', 'stray'], /Unknown option "stray"/],
    [['--url', 'http://a:1', '--colour'], /Unknown option "--colour"/],
    [['--url', 'localhost:8080'], /must start with http/],
    [['--url', 'not a url'], /is not a URL/],
    [['--url', 'ftp://a'], /must start with http:\/\/ or https:\/\//],
    [['--url', 'http://me:secret@a'], /must not contain credentials/],
    [['--url', 'http://a/?x=1'], /must not contain a query/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseArgs(argv, {})).toThrow(UsageError);
    expect(() => parseArgs(argv, {})).toThrow(message);
  });
});

describe('normalizeUrl', () => {
  it('lower-cases the host and keeps the port', () => {
    expect(normalizeUrl('HTTP://LocalHost:8080')).toBe('http://localhost:8080');
  });
});
