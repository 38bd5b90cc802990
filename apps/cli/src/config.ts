/**
 * The CLI's one configuration source: command-line arguments and the environment, parsed into a
 * typed, validated object. Nothing else in apps/cli reads `process.argv` or `process.env`.
 */
export interface CliConfig {
  /** The chat's public origin (the front door), e.g. `http://localhost:8080`. */
  url: string;
  /** A bearer token (a bot token) to use instead of logging in; `--token` or `CHAT_TOKEN`. */
  token?: string;
  /** Pre-fills the login prompt's username; `--user` or `CHAT_USER`. */
  username?: string;
  /** Open this channel after connecting (default: the first channel by name). */
  channel?: string;
  /** ANSI colours; off with `--no-color` or `NO_COLOR` (https://no-color.org), or when not a TTY. */
  color: boolean;
}

export type ParsedArgs = { kind: 'run'; config: CliConfig } | { kind: 'help' } | { kind: 'version' };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: chat --url <origin> [--token <token>] [--user <name>] [--channel <name>] [--no-color]

  --url, -u       the chat's public address, e.g. http://localhost:8080 (or CHAT_URL)
  --token, -t     log in with a bot token instead of a password (or CHAT_TOKEN)
  --user          username to log in as; the password is always asked (or CHAT_USER)
  --channel, -c   channel to open first
  --no-color      plain output (also NO_COLOR=1)
  --help, -h      this text`;

const VALUE_FLAGS: Record<string, 'url' | 'token' | 'username' | 'channel'> = {
  '--url': 'url',
  '-u': 'url',
  '--token': 'token',
  '-t': 'token',
  '--user': 'username',
  '--channel': 'channel',
  '-c': 'channel',
};

/** Arguments as the user typed them (without `node` and the script); env as `process.env`. */
export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  outputIsTty = true,
): ParsedArgs {
  const values: Partial<Record<'url' | 'token' | 'username' | 'channel', string>> = {};
  let color = outputIsTty && !env.NO_COLOR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (arg === '--no-color') {
      color = false;
      continue;
    }
    // `--url=http://…` as well as `--url http://…`.
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_FLAGS[name];
    if (!key) throw new UsageError(`Unknown option ${JSON.stringify(arg)}. Try --help.`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // A flag where the value belongs means the value was left out (`--token --url x`).
      if (value === undefined || /^--?[a-z]/i.test(value)) throw new UsageError(`${name} needs a value.`);
      i++;
    }
    if (!value) throw new UsageError(`${name} needs a value.`);
    values[key] = value;
  }

  const url = normalizeUrl(values.url ?? env.CHAT_URL);
  const token = values.token ?? (env.CHAT_TOKEN || undefined);
  const username = values.username ?? (env.CHAT_USER || undefined);
  return {
    kind: 'run',
    config: {
      url,
      ...(token ? { token: token.trim() } : {}),
      ...(username ? { username } : {}),
      ...(values.channel ? { channel: values.channel } : {}),
      color,
    },
  };
}

/** The origin without a trailing slash; only http(s), no credentials, no query. */
export function normalizeUrl(raw: string | undefined): string {
  if (!raw) throw new UsageError('--url is required (e.g. --url http://localhost:8080).');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL (e.g. http://localhost:8080).`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`--url must start with http:// or https://, not ${u.protocol}//.`);
  }
  if (u.username || u.password) throw new UsageError('--url must not contain credentials.');
  if (u.search || u.hash) throw new UsageError('--url must not contain a query or a fragment.');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}
