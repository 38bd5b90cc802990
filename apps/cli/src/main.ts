#!/usr/bin/env node
import { ChatClient } from './chat';
import { parseArgs, USAGE, UsageError, type CliConfig } from './config';
import { ChatError, describeError } from './errors';
import { ansi, plain } from './format';
import { Api } from './http';
import { Quit, Screen } from './screen';
import { Session } from './session';

/** Exit codes: 0 the user left, 1 the chat failed (server down, login refused), 2 bad usage. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** Answers that mean "try other credentials", not "give up". */
const RETRY_LOGIN = new Set(['UNAUTHORIZED', 'VALIDATION', 'RATE_LIMITED', 'NOT_FOUND']);

async function login(screen: Screen, api: Api, presetUser: string | undefined): Promise<Session> {
  for (;;) {
    const username = presetUser ?? (await screen.ask('username: ')).trim();
    if (!username) continue;
    const password = await screen.ask(`password for ${username}: `, true);
    if (!password) continue;
    try {
      return await Session.login(api, username, password);
    } catch (err) {
      if (!(err instanceof ChatError) || !RETRY_LOGIN.has(err.code)) throw err;
      screen.write(`Login failed: ${describeError(err)}`);
      presetUser = undefined;
    }
  }
}

async function run(config: CliConfig): Promise<number> {
  const screen = new Screen(process.stdin, process.stdout);
  let session: Session | undefined;
  // Until the chat runs, Ctrl+C and Ctrl+D end the question being asked (Quit) and so the process.
  screen.onQuit(() => screen.close());
  // A closed terminal or a kill: leave the same clean way (socket closed, terminal restored).
  process.on('SIGTERM', () => screen.requestQuit());
  process.on('SIGHUP', () => screen.requestQuit());
  try {
    const api = new Api(config.url);
    // Before asking for a password: a server that is not there should be said at once.
    await api.probe();
    session = config.token
      ? await Session.withToken(api, config.token)
      : await login(screen, api, config.username);
    const client = new ChatClient(
      config.url,
      api,
      session,
      screen,
      config.color ? ansi : plain,
      config.channel,
    );
    const code = await client.run();
    screen.write('Bye.');
    return code;
  } catch (err) {
    session?.dispose();
    screen.close();
    if (err instanceof Quit) return EXIT_OK;
    process.stderr.write(`chat: ${describeError(err)}\n`);
    return EXIT_FAILED;
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2), process.env, !!process.stdout.isTTY);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`chat: ${err.message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (parsed.kind === 'version') {
    process.stdout.write('chat cli 0.1.0\n');
    return EXIT_OK;
  }
  return run(parsed.config);
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now; should a library still hold the event loop, do not hang.
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`chat: ${describeError(err)}\n`);
    process.exit(EXIT_FAILED);
  },
);
