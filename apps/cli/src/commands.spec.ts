import { parseCommand } from './commands';

describe('parseCommand', () => {
  it('sends plain text, trimmed', () => {
    expect(parseCommand('  hello there  ')).toEqual({ kind: 'send', body: 'hello there' });
  });

  it('ignores an empty or blank line', () => {
    expect(parseCommand('')).toEqual({ kind: 'none' });
    expect(parseCommand('   ')).toEqual({ kind: 'none' });
  });

  it('sends a leading slash written as //', () => {
    expect(parseCommand('//etc/hosts is a file')).toEqual({ kind: 'send', body: '/etc/hosts is a file' });
  });

  it('refuses a message over the contract limit instead of sending it', () => {
    const c = parseCommand('x'.repeat(4001));
    expect(c).toEqual({ kind: 'invalid', message: 'Message too long: 4001 characters, at most 4000.' });
    expect(parseCommand('x'.repeat(4000)).kind).toBe('send');
  });

  it.each([
    ['/channels', { kind: 'channels' }],
    ['/who', { kind: 'who' }],
    ['/help', { kind: 'help' }],
    ['/?', { kind: 'help' }],
    ['/quit', { kind: 'quit' }],
    ['/exit', { kind: 'quit' }],
    ['/Q', { kind: 'quit' }],
    ['/list', { kind: 'list', filter: '' }],
    ['/list #gen', { kind: 'list', filter: 'gen' }],
    ['/join general', { kind: 'join', name: 'general' }],
    ['/join #general', { kind: 'join', name: 'general' }],
    ['/join  team chat ', { kind: 'join', name: 'team chat' }],
    ['/switch random', { kind: 'switch', name: 'random' }],
    ['/c #random', { kind: 'switch', name: '#random' }],
    ['/c @bob', { kind: 'switch', name: '@bob' }],
    ['/dm bob', { kind: 'dm', username: 'bob' }],
    ['/dm @bob', { kind: 'dm', username: 'bob' }],
    ['/msg bob', { kind: 'dm', username: 'bob' }],
  ])('reads %j', (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });

  it.each([
    ['/join', '/join needs a channel name.'],
    ['/c', '/c needs a channel name (or @user for a DM).'],
    ['/dm', '/dm needs username.'],
    ['/dm bob carol', '/dm takes one username, not "bob carol".'],
    ['/quit now', '/quit takes no arguments.'],
    ['/frobnicate', 'Unknown command /frobnicate. Type /help for the list.'],
    ['/', 'Unknown command /. Type /help for the list.'],
  ])('explains what is wrong with %j', (line, message) => {
    expect(parseCommand(line)).toEqual({ kind: 'invalid', message });
  });

  it('cuts a huge unknown command name in its message', () => {
    const c = parseCommand(`/${'a'.repeat(10_000)}`);
    expect(c.kind).toBe('invalid');
    expect((c as { message: string }).message.length).toBeLessThan(100);
  });
});
