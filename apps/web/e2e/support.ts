import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../../scripts/lib/local-stack';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const REPO = resolve(__dirname, '../../..');
export const WEB_ROOT = join(REPO, 'dist/web');
export const SHOTS = join(REPO, 'artifacts/screenshots');
const SLOW_START_MS = 20_000;

/**
 * Whether the browser suite can run here. Under CI a missing browser or build is a failure (the
 * suite must not pass by skipping); on a developer machine it is skipped with the reason.
 */
export function browserSuiteAvailable(): boolean {
  const missing = !existsSync(CHROMIUM)
    ? `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
    : !existsSync(join(WEB_ROOT, 'index.html'))
      ? 'the web client is not built (npm run build:web)'
      : null;
  if (!missing) return true;
  if (process.env.CI === 'true') throw new Error(`Browser tests cannot run: ${missing}`);
  console.warn(`Skipping the browser tests: ${missing}`);
  return false;
}

/** How long one Chromium launch may take before it is killed and tried again. */
const LAUNCH_TIMEOUT_MS = 45_000;

/**
 * Debian's Chromium, headless, with nothing of its own on the network. A launch normally takes a
 * second; one that hangs is killed after LAUNCH_TIMEOUT_MS and tried once more, so a stuck browser
 * start fails (or recovers) inside a suite's beforeAll instead of outliving it.
 */
export async function launchChromium(): Promise<Browser> {
  try {
    return await launchOnce();
  } catch (err) {
    console.warn(`Chromium did not start (${(err as Error).message.split('\n')[0]}); trying once more`);
    return launchOnce();
  }
}

function launchOnce(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: LAUNCH_TIMEOUT_MS,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      // A container's /dev/shm may be small (64 MB under Docker): Chromium then stalls or crashes.
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface World {
  stack: LocalStack;
  browser: Browser;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Every world this test file started, or is still starting. `setup-worlds.ts` stops them all when
 * the file ends: a `beforeAll` that timed out leaves its spec without the world it was waiting
 * for, and a stack nobody stops keeps jest's worker, and with it CI, alive.
 */
const worlds = new Set<Promise<World>>();

/** `port`: the front door's (0: any free one); fixed when the origin must be known first (an OIDC redirect URI). */
export function startWorld(env: NodeJS.ProcessEnv = {}, port = 0): Promise<World> {
  const starting = launchWorld(env, port);
  worlds.add(starting);
  starting.catch(() => worlds.delete(starting));
  return starting;
}

/** Stops every world of this file, waiting for the ones still starting. */
export async function stopWorlds(): Promise<void> {
  const all = [...worlds];
  worlds.clear();
  await Promise.all(all.map(async (starting) => (await starting.catch(() => null))?.stop()));
}

async function launchWorld(env: NodeJS.ProcessEnv, port: number): Promise<World> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-web-e2e-'));
  const began = Date.now();
  const stack = await startLocalStack({
    port,
    dataDir,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...env },
    webRoot: WEB_ROOT,
  });
  const stackUp = Date.now();
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  // A start normally takes seconds. When one does not, say which part was slow and how loaded the
  // machine was, so a timed-out beforeAll on CI can be told apart from a slow machine.
  if (Date.now() - began > SLOW_START_MS) {
    console.warn(
      `slow world start: stack ${stackUp - began} ms, chromium ${Date.now() - stackUp} ms, ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
  }
  mkdirSync(SHOTS, { recursive: true });
  let stopping: Promise<void> | undefined;
  return {
    stack,
    browser,
    dataDir,
    // Once: the spec's afterAll and stopWorlds() may both call it.
    stop: () =>
      (stopping ??= (async () => {
        await browser.close().catch(() => undefined);
        await stack.stop().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      })()),
  };
}

/**
 * A person with their own browser profile. Their page's WebSockets are tracked (by a script the
 * test injects, not by the app) so a test can cut the connection like a network failure would.
 */
/** One person's browser: their context, their page, and the CSP violations and errors it saw. */
export interface Person {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

export async function person(
  world: World,
  opts: { viewport?: { width: number; height: number }; name: string },
): Promise<Person> {
  const context = await world.browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    baseURL: world.stack.url,
    colorScheme: 'light',
  });
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    const open: WebSocket[] = [];
    (window as unknown as { __testSockets: WebSocket[] }).__testSockets = open;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        open.push(this);
      }
    };
  });
  const page = await context.newPage();
  const errors: string[] = [];
  // CSP violations and uncaught errors are bugs: collect them so the test can assert none happened.
  page.on('pageerror', (e) => errors.push(`${opts.name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      errors.push(`${opts.name}: ${m.text()}`);
    }
  });
  return { context, page, errors };
}

/** Closes every WebSocket of the page, as a dropped network would. */
export async function dropSockets(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const s of (window as unknown as { __testSockets: WebSocket[] }).__testSockets) s.close();
  });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Waits until the locator matches exactly `n` elements (default 1). */
export async function expectCount(locator: Locator, n: number, timeout = 15_000): Promise<void> {
  const until = Date.now() + timeout;
  let count = -1;
  while (Date.now() < until) {
    count = await locator.count();
    if (count === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${n} match(es) for ${locator.toString()}, found ${count}`);
}

let failures = 0;

/** Waits for the locator to show; on failure leaves a screenshot of the page to look at. */
export async function visible(locator: Locator, timeout = 15_000): Promise<void> {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch (err) {
    const file = `failure-${++failures}.png`;
    await locator
      .page()
      .screenshot({ path: join(SHOTS, file) })
      .catch(() => undefined);
    throw new Error(`${(err as Error).message}\n(screenshot: artifacts/screenshots/${file})`);
  }
}

export async function gone(locator: Locator, timeout = 15_000): Promise<void> {
  await locator.first().waitFor({ state: 'hidden', timeout });
}

/** Registers through the sign-up form. */
export async function register(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** The message list of the open conversation. */
export const messages = (page: Page) => page.locator('.message-list');
export const composer = (page: Page) => page.getByRole('textbox', { name: /^Message / });
