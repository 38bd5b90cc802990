import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { freePort } from '../../../scripts/lib/embedded';
import { startFrontDoor, type FrontDoor } from '../../../scripts/lib/front-door';
import { registerUser, request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import {
  api,
  connect,
  Inbox,
  send,
  sleep,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { CutProxy } from './support/cut-proxy';
import { occurrences, Terminal } from './support/terminal';

const ROOT = resolve(__dirname, '../../..');
const PASSWORD = 'correct-horse-42';

/**
 * The terminal client as a person uses it: typed into a real pseudo-terminal (tmux), against a
 * real auth service and gateway (Postgres) behind the real front door, with another user on a
 * socket.io client at the other end. The CLI reaches the front door through a TCP hop the test
 * can cut, to see it recover from a dropped network without gaps or duplicates.
 */
describe('chat CLI in a terminal', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let door: FrontDoor;
  let doorPort: number;
  let proxy: CutProxy;
  let cli: string;
  const terminals: Terminal[] = [];
  const sockets: TestSocket[] = [];

  let alice: TestUser;
  let bob: TestUser;
  let first: { id: string; name: string };
  let general: { id: string; name: string };
  let lobby: { id: string; name: string };

  const as = (user: TestUser) => api(gw.url, user);
  const user = async (prefix: string): Promise<TestUser> => {
    const r = await registerUser(auth.url, uniqueName(prefix), PASSWORD);
    return { id: r.user.id, username: r.user.username, token: r.accessToken };
  };
  const channel = async (owner: TestUser, prefix: string, members: TestUser[]) => {
    const res = await as(owner)('POST', '/channels', { name: uniqueName(prefix), kind: 'public' });
    expect(res.status).toBe(201);
    for (const m of members) expect((await as(m)('POST', `/channels/${res.body.id}/join`)).status).toBe(200);
    return { id: res.body.id as string, name: res.body.name as string };
  };
  /** The CLI in a fresh terminal, in UTC so a message's HH:MM is its createdAt's. */
  const openCli = async (args: string, env: Record<string, string> = {}) => {
    const t = await Terminal.open(`node ${cli} ${args}`, {
      NODE_PATH: join(ROOT, 'node_modules'),
      TZ: 'UTC',
      ...env,
    });
    terminals.push(t);
    return t;
  };
  const openSocket = async (u: TestUser) => {
    const socket = await connect(gw.url, u.token);
    sockets.push(socket);
    return { socket, inbox: new Inbox(socket) };
  };
  const hhmm = (iso: string) => iso.slice(11, 16);
  const login = async (t: Terminal, who: TestUser) => {
    await t.waitFor(/username:\s*$/m, 'the username prompt');
    await t.typeLine(who.username);
    await t.waitFor(/password for .*:\s*$/m, 'the password prompt');
    await t.typeLine(PASSWORD);
    await t.waitFor(/Logged in as/, 'the login');
  };

  beforeAll(async () => {
    // The CLI as it ships (one bundle of apps/cli/src and @chat/contracts; node_modules beside).
    cli = join(mkdtempSync(join(tmpdir(), 'chat-cli-')), 'chat.js');
    await build({
      entryPoints: [join(ROOT, 'apps/cli/src/main.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      tsconfig: join(ROOT, 'tsconfig.json'),
      outfile: cli,
      logLevel: 'error',
    });

    auth = await startAuth({ REDIS_URL: '' });
    gw = await startGateway(auth, { REDIS_URL: '', PRESENCE_OFFLINE_GRACE_MS: '300' });
    doorPort = await freePort();
    door = await startFrontDoor({
      port: doorPort,
      auth: auth.url,
      media: 'http://127.0.0.1:9',
      gateways: [gw.url],
      healthIntervalMs: 0,
    });
    proxy = new CutProxy(doorPort);
    await proxy.start();

    [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    // Alice opens the first of her channels by name at start, then switches to "general".
    first = await channel(bob, 'aaa', [alice]);
    general = await channel(bob, 'general', [alice]);
    lobby = await channel(bob, 'lobby', []);
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
    for (const t of terminals.splice(0)) t.close();
  });

  afterAll(async () => {
    await proxy?.close();
    await new Promise<void>((r) => (door ? door.close(() => r()) : r()));
    door?.closeAllConnections();
    await gw?.close();
    await auth?.close();
  });

  it('logs in, chats live, shows typing and presence, recovers from a cut network, and quits with 0', async () => {
    const earlier = (await as(bob)('POST', `/channels/${general.id}/messages`, { body: 'earlier message' }))
      .body;
    const bobSide = await openSocket(bob);

    const t = await openCli(`--url ${proxy.url}`);
    await login(t, alice);
    let screen = await t.screen();
    // The password was typed into a prompt that does not echo it.
    expect(screen).not.toContain(PASSWORD);
    expect(screen).toContain(`Logged in as ${alice.username}`);
    await t.waitFor(new RegExp(`── #${first.name} ──`), 'the first channel to open');
    // Bob's message in general came after Alice joined it: the prompt counts it as unread.
    await t.waitFor(new RegExp(`#${first.name} · unread: #${general.name} 1 >\\s*$`, 'm'), 'the prompt');

    // Switching loads the recent history, with author and local time.
    await t.typeLine(`/c ${general.name}`);
    screen = await t.waitFor(/earlier message/, 'the history of general');
    expect(screen).toContain(`${hhmm(earlier.createdAt)} ${bob.username}: earlier message`);
    await t.waitFor(new RegExp(`#${general.name} >\\s*$`, 'm'), 'the prompt in general');

    // A message from someone else appears live.
    const hello = await send(bobSide.socket, 'message:send', {
      channelId: general.id,
      body: 'hello from bob',
    });
    expect(hello.ok).toBe(true);
    await t.waitFor(
      new RegExp(`${hhmm(hello.message.createdAt)} ${bob.username}: hello from bob`),
      'bob’s message',
    );

    // Typing and presence of the open channel's members.
    await send(bobSide.socket, 'typing', { channelId: general.id, typing: true });
    await t.waitFor(new RegExp(`${bob.username} is typing…`), 'bob typing');
    await send(bobSide.socket, 'typing', { channelId: general.id, typing: false });
    await t.waitFor((s) => !s.split('\n').slice(-1)[0].includes('is typing'), 'bob to stop typing');

    await t.typeLine('/who');
    screen = await t.waitFor(/member\(s\)/, '/who');
    expect(screen).toMatch(new RegExp(`● ${bob.username} owner online`));
    expect(screen).toMatch(new RegExp(`● ${alice.username} \\(you\\)`));

    // What Alice types: bob sees her typing, then her message, once.
    await t.type('hi bob, ');
    const typing = await bobSide.inbox.next('typing', (e) => e.userId === alice.id && e.typing);
    expect(typing).toMatchObject({ channelId: general.id, username: alice.username });
    await t.type('how are you?');
    await t.press('Enter');
    const mine = await bobSide.inbox.next('message:new', (m) => m.body === 'hi bob, how are you?');
    expect(mine).toMatchObject({ channelId: general.id, author: { id: alice.id } });
    expect(mine.clientId).toEqual(expect.any(String));
    await t.waitFor(new RegExp(`${alice.username}: hi bob, how are you\\?`), 'alice’s own message');

    // Clearing the line stops her typing indicator.
    await t.type('never mind');
    await bobSide.inbox.count('typing', 2, (e) => e.userId === alice.id && e.typing);
    await t.press('C-u');
    await bobSide.inbox.next('typing', (e) => e.userId === alice.id && !e.typing);

    // Edits and deletions of messages on screen.
    const edited = await send(bobSide.socket, 'message:edit', {
      messageId: hello.message.id,
      body: 'hello, edited',
    });
    expect(edited.ok).toBe(true);
    await t.waitFor(new RegExp(`${bob.username}: hello, edited \\(edited\\)`), 'the edit');
    expect((await send(bobSide.socket, 'message:delete', { messageId: hello.message.id })).ok).toBe(true);
    await t.waitFor(/\(a message above was deleted\)/, 'the deletion');

    // Her channels, and the public ones she could join.
    await t.typeLine('/channels');
    screen = await t.waitFor(new RegExp(`^\\* #${general.name}$`, 'm'), '/channels');
    expect(screen).toMatch(new RegExp(`^  #${first.name}$`, 'm'));
    await t.typeLine('/list lobby');
    screen = await t.waitFor(/Public channels:/, '/list');
    expect(screen).toMatch(new RegExp(`#${lobby.name} 1 member\\(s\\)$`, 'm'));

    // The network drops; bob writes meanwhile, and Alice writes one line too.
    await proxy.cut();
    await t.waitFor(/Connection lost; reconnecting…/, 'the CLI to notice the cut');
    for (let i = 1; i <= 5; i++) {
      const ack = await send(bobSide.socket, 'message:send', { channelId: general.id, body: `missed ${i}` });
      expect(ack.ok).toBe(true);
    }
    await t.typeLine('written offline');
    await t.waitFor(/will be sent when the connection is back/, 'the offline notice');
    await sleep(500);
    await proxy.restore();
    await t.waitFor(/Reconnected\./, 'the reconnection', 20_000);
    screen = await t.waitFor(/missed 5/, 'the catch-up');
    // Every missed message once, in seq order; nothing seen before is shown again.
    for (let i = 1; i <= 5; i++) expect(occurrences(screen, `${bob.username}: missed ${i}`)).toBe(1);
    const at = [1, 2, 3, 4, 5].map((i) => screen.indexOf(`missed ${i}`));
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(occurrences(screen, 'hello from bob')).toBe(1);
    expect(occurrences(screen, 'earlier message')).toBe(1);
    // The line written offline went out once the connection was back, exactly once.
    const offline = await bobSide.inbox.next('message:new', (m) => m.body === 'written offline', 10_000);
    expect(offline.author.id).toBe(alice.id);
    await sleep(300);
    expect(bobSide.inbox.all('message:new', (m) => m.body === 'written offline')).toHaveLength(1);
    screen = await t.waitFor(/: written offline/, 'alice’s offline line on her screen');
    expect(occurrences(screen, `${alice.username}: written offline`)).toBe(1);

    // Live again: the next message arrives once too.
    await send(bobSide.socket, 'message:send', { channelId: general.id, body: 'after the cut' });
    screen = await t.waitFor(/after the cut/, 'a live message after the reconnection');
    expect(occurrences(screen, 'after the cut')).toBe(1);
    const history = await as(alice)('GET', `/channels/${general.id}/messages?limit=100`);
    expect(history.body.messages.filter((m: { body: string }) => m.body === 'written offline')).toHaveLength(
      1,
    );

    // Presence changes of the members it follows.
    bobSide.socket.close();
    await t.waitFor(new RegExp(`${bob.username} is offline`), 'bob going offline');
    const bobAgain = await openSocket(bob);
    await t.waitFor(new RegExp(`${bob.username} is online`), 'bob coming back');

    // A message in another channel: a one-line hint and a count in the prompt, not the message.
    await send(bobAgain.socket, 'message:send', { channelId: first.id, body: 'psst in the other channel' });
    await t.waitFor(new RegExp(`New messages in #${first.name} \\(/c ${first.name}\\)`), 'the unread hint');
    await t.waitFor(new RegExp(`unread: #${first.name} 1 >\\s*$`, 'm'), 'the unread count in the prompt');
    expect(await t.screen()).not.toContain('psst in the other channel');

    // Being added to a channel by someone else is announced.
    const secret = await as(bob)('POST', '/channels', { name: uniqueName('secret'), kind: 'private' });
    await as(bob)('POST', `/channels/${secret.body.id}/members`, { userId: alice.id });
    await t.waitFor(new RegExp(`You are now in #${secret.body.name}\\.`), 'the channel alice was added to');

    // Joining a public channel and opening a DM (announced once, by the command itself).
    await t.typeLine(`/join ${lobby.name}`);
    await t.waitFor(new RegExp(`Joined #${lobby.name}\\.`), 'the join');
    await t.waitFor(
      new RegExp(`#${lobby.name} · unread: #${first.name} 1 >\\s*$`, 'm'),
      'the prompt in lobby',
    );
    const members = await as(bob)('GET', `/channels/${lobby.id}/members`);
    expect(members.body.map((m: { userId: string }) => m.userId)).toContain(alice.id);

    await t.typeLine(`/dm ${bob.username}`);
    screen = await t.waitFor(new RegExp(`── @${bob.username} ──`), 'the DM');
    expect(screen).not.toMatch(/New DM with|You are now in #lobby/);
    await t.typeLine('a private word');
    const dm = await bobAgain.inbox.next('message:new', (m) => m.body === 'a private word');
    expect(dm.author.id).toBe(alice.id);

    // Mistyped commands are explained, never sent.
    await t.typeLine('/frobnicate now');
    await t.waitFor(/Unknown command \/frobnicate\. Type \/help for the list\./, 'the unknown command');
    await t.typeLine('/c no-such-channel');
    await t.waitFor(/You are in no channel named "no-such-channel"/, 'the unknown channel');
    await t.typeLine('/help');
    await t.waitFor(/\/quit\s+leave/, 'the help');
    expect(bobAgain.inbox.all('message:new', (m) => m.body.startsWith('/'))).toHaveLength(0);

    const follow = await send(bobAgain.socket, 'presence:subscribe', { userIds: [alice.id] });
    expect(follow).toMatchObject({ ok: true, online: [alice.id] });
    await t.typeLine('/quit');
    expect(await t.exitCode()).toBe(0);
    screen = await t.screen();
    expect(screen).toContain('Bye.');
    expect(screen).not.toMatch(/\bat .*:\d+:\d+/);
    // The socket was closed, not left to time out: alice goes offline for those who follow her.
    await bobAgain.inbox.next('presence', (e) => e.userId === alice.id && e.online === false);
  }, 120_000);

  it('answers a wrong password with one readable line and a fresh prompt; Ctrl+C leaves with 0', async () => {
    const t = await openCli(`--url ${door ? `http://127.0.0.1:${doorPort}` : ''}`);
    await t.waitFor(/username:\s*$/m);
    await t.typeLine(alice.username);
    await t.waitFor(/password for .*:\s*$/m);
    await t.typeLine('not-the-password');
    let screen = await t.waitFor(
      /Login failed: .*\(UNAUTHORIZED\)\n+username:\s*$/,
      'the refusal and a new prompt',
    );
    expect(screen).not.toContain('not-the-password');
    expect(screen).not.toMatch(/Error:|\bat .*:\d+:\d+/);

    await login(t, alice);
    await t.waitFor(/ >\s*$/m, 'the chat prompt');
    await t.type('half a thought');
    await t.press('C-c');
    expect(await t.exitCode()).toBe(0);
    screen = await t.screen();
    expect(screen).toContain('Bye.');
    // Nothing half-typed was sent.
    const page = await as(alice)('GET', `/channels/${first.id}/messages?limit=100`);
    expect(page.body.messages.map((m: { body: string }) => m.body)).not.toContain('half a thought');
  }, 60_000);

  it('never lets a message body drive the terminal', async () => {
    const bobSide = await openSocket(bob);
    const t = await openCli(`--url http://127.0.0.1:${doorPort} --channel ${general.name}`, {
      CHAT_TOKEN: alice.token,
    });
    await t.waitFor(new RegExp(`── #${general.name} ──`), 'the channel (token login, no prompt)');
    expect(await t.screen()).not.toMatch(/username:/);
    // Clear screen, cursor home, a window title, a bidi override: all must come out inert.
    const hostile = 'before\x1b[2J\x1b[H\x1b]0;pwned\x07 \u202eevil\u202c after';
    const ack = await send(bobSide.socket, 'message:send', { channelId: general.id, body: hostile });
    expect(ack.ok).toBe(true);
    const screen = await t.waitFor(/before.*evil after/, 'the hostile message');
    expect(screen).toContain(`${bob.username}: before[2J[H]0;pwned evil after`);
    // The screen was not cleared: the channel header is still above.
    expect(screen).toContain(`── #${general.name} ──`);

    // A message arriving while a long line (wrapped over two rows) is being typed lands above it,
    // and the half-typed line is redrawn whole, once, below.
    const draft = `draft ${'word '.repeat(40)}end`;
    await t.type(draft);
    await t.waitFor((s) => s.endsWith(draft.trimEnd()), 'the long draft');
    await send(bobSide.socket, 'message:send', { channelId: general.id, body: 'while you type' });
    // (The terminal may be read between the message and the redrawn input: wait for both.)
    const after = await t.waitFor(
      (s) => s.includes('while you type') && s.endsWith(draft.trimEnd()),
      'the message during typing, and the draft redrawn',
    );
    expect(occurrences(after, draft.trimEnd())).toBe(1);
    const tail = after.split('\n').slice(-2);
    expect(tail[0]).toMatch(new RegExp(`${bob.username}: while you type$`));
    expect(tail[1].startsWith(`#${general.name}`)).toBe(true);
    expect(tail[1].endsWith(` > ${draft.trimEnd()}`)).toBe(true);
    await t.press('C-u');
    await t.typeLine('/quit');
    expect(await t.exitCode()).toBe(0);
  }, 60_000);

  it('refuses a bad token with a readable error and exit code 1', async () => {
    const t = await openCli(`--url http://127.0.0.1:${doorPort}`, { CHAT_TOKEN: 'not-a-token' });
    expect(await t.exitCode()).toBe(1);
    const screen = await t.screen();
    expect(screen).toMatch(/chat: .*\(UNAUTHORIZED\)/);
    expect(screen).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('says so when the server is down at start, with exit code 1', async () => {
    const port = await freePort();
    const t = await openCli(`--url http://127.0.0.1:${port}`);
    expect(await t.exitCode()).toBe(1);
    const screen = await t.screen();
    expect(screen).toContain(`chat: Cannot reach http://127.0.0.1:${port}: connection refused`);
    expect(screen).not.toMatch(/username:|\bat .*:\d+:\d+/);
  });

  it('rejects bad usage with exit code 2', async () => {
    const t = await openCli('--url ftp://example.com');
    expect(await t.exitCode()).toBe(2);
    expect(await t.screen()).toContain('chat: --url must start with http:// or https://, not ftp://.');
  });
});

/**
 * Access tokens that live 4 s instead of 15 min: the CLI must renew its token before expiry, come
 * back after the server ends each socket at the token's expiry, and lose nothing on the way.
 */
describe('chat CLI across access-token expiry', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let door: FrontDoor;
  let doorPort: number;
  let cli: string;
  let terminal: Terminal | undefined;

  beforeAll(async () => {
    cli = join(mkdtempSync(join(tmpdir(), 'chat-cli-')), 'chat.js');
    await build({
      entryPoints: [join(ROOT, 'apps/cli/src/main.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      tsconfig: join(ROOT, 'tsconfig.json'),
      outfile: cli,
      logLevel: 'error',
    });
    auth = await startAuth({ REDIS_URL: '', ACCESS_TOKEN_TTL_SECONDS: '4' });
    gw = await startGateway(auth, { REDIS_URL: '' });
    doorPort = await freePort();
    door = await startFrontDoor({
      port: doorPort,
      auth: auth.url,
      media: 'http://127.0.0.1:9',
      gateways: [gw.url],
      healthIntervalMs: 0,
    });
  });

  afterAll(async () => {
    terminal?.close();
    await new Promise<void>((r) => (door ? door.close(() => r()) : r()));
    door?.closeAllConnections();
    await gw?.close();
    await auth?.close();
  });

  it('keeps the conversation going over several token lifetimes, each message once', async () => {
    const alice = await registerUser(auth.url, uniqueName('alice'), PASSWORD);
    const bob = await registerUser(auth.url, uniqueName('bob'), PASSWORD);
    /** A fresh token for every call: bob's also live 4 s. */
    const asBob = async (method: string, path: string, body?: unknown) => {
      const login = await request(auth.url, 'POST', '/auth/login', {
        body: { username: bob.user.username, password: PASSWORD },
      });
      return request(gw.url, method, path, { token: login.body.accessToken, body });
    };
    const created = await asBob('POST', '/channels', { name: uniqueName('room'), kind: 'public' });
    const room = created.body as { id: string; name: string };
    await request(gw.url, 'POST', `/channels/${room.id}/join`, { token: alice.accessToken });

    terminal = await Terminal.open(
      `node ${cli} --url http://127.0.0.1:${doorPort} --user ${alice.user.username}`,
      {
        NODE_PATH: join(ROOT, 'node_modules'),
        TZ: 'UTC',
      },
    );
    const t = terminal;
    await t.waitFor(/password for .*:\s*$/m, 'the password prompt');
    await t.typeLine(PASSWORD);
    await t.waitFor(new RegExp(`── #${room.name} ──`), 'the room');

    // About three token lifetimes, a message a second.
    for (let i = 1; i <= 12; i++) {
      expect((await asBob('POST', `/channels/${room.id}/messages`, { body: `tick ${i}` })).status).toBe(201);
      await sleep(1_000);
    }
    const screen = await t.waitFor(/tick 12/, 'the last tick');
    for (let i = 1; i <= 12; i++) expect(occurrences(screen, `: tick ${i}\n`)).toBe(1);
    // Renewals are routine: no error, no "session ended", no login prompt.
    expect(screen).not.toMatch(/^! |Session ended|username:/m);

    await t.typeLine('still here');
    await t.waitFor(/: still here/, 'alice’s message after the renewals');
    const page = await asBob('GET', `/channels/${room.id}/messages?limit=100`);
    const mine = page.body.messages.filter((m: { body: string }) => m.body === 'still here');
    expect(mine).toHaveLength(1);
    expect(mine[0].author.id).toBe(alice.user.id);

    await t.typeLine('/quit');
    expect(await t.exitCode()).toBe(0);
  }, 60_000);
});
