import { generate } from 'otplib';
import { closeSql, sql } from '../../../test/support/gateway';
import {
  browserSuiteAvailable,
  person,
  type Person,
  register,
  shot,
  startWorld,
  visible,
  type World,
} from './support';

/**
 * Two-factor sign-in in the browser, against the real stack: a person turns TOTP on in Settings by
 * typing the key shown into "their app" (otplib here), signs out, and signing in then asks for the
 * code — a wrong one is refused with a message, the right one lets them in.
 */
const run = browserSuiteAvailable() ? describe : describe.skip;

const STEP_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The code an authenticator app shows `steps` time steps from now. */
const codeAt = (secret: string, steps = 0) =>
  generate({ secret, epoch: Math.floor((Date.now() + steps * STEP_MS) / 1000) });
/** Out of the last 4 s of a time step, so a code typed now is still of its step when checked. */
async function awayFromStepEdge(): Promise<void> {
  const into = Date.now() % STEP_MS;
  if (into > STEP_MS - 4000) await sleep(STEP_MS - into + 200);
}

run('two-factor sign-in in the web client', () => {
  let world: World;
  let tara: Person;
  const password = 'correct horse battery';
  let secret = '';

  beforeAll(async () => {
    world = await startWorld();
    tara = await person(world, { name: 'tara' });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
    await closeSql();
  });

  afterEach(() => {
    expect(tara.errors).toEqual([]);
  });

  it('turns two-factor on in Settings with the key shown and a code typed from the app', async () => {
    const { page } = tara;
    await register(page, 'tara', password);
    await page.getByRole('link', { name: 'Settings' }).click();
    const section = page.getByRole('region', { name: 'Two-factor authentication' });
    await visible(section.getByText('Off. Signing in needs your password only.'));
    await section.getByRole('button', { name: 'Set up two-factor authentication' }).click();

    const qr = section.getByRole('img', { name: /QR code/ });
    await visible(qr);
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const key = section.getByLabel('Secret key');
    secret = ((await key.textContent()) ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const codes = section.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    expect(await codes.count()).toBe(10);
    await visible(section.getByRole('button', { name: 'Download as .txt' }));
    await shot(page, 'totp-01-setup');

    // A wrong code first: refused, nothing turned on.
    await awayFromStepEdge();
    const right = await codeAt(secret);
    const field = section.getByLabel('Code from the app');
    await field.fill(right === '000000' ? '111111' : '000000');
    await section.getByRole('button', { name: 'Turn on two-factor' }).click();
    await visible(section.getByRole('alert').getByText(/That code is wrong/));

    await field.fill(right);
    await section.getByRole('button', { name: 'Turn on two-factor' }).click();
    await visible(section.getByText('On. Signing in asks for a code from your authenticator app.'));
    await visible(section.getByRole('button', { name: 'Turn off two-factor' }));
  });

  it('asks for the code at sign-in, refuses a wrong one with the message, lets the right one in', async () => {
    const { page } = tara;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await visible(page.getByRole('tab', { name: 'Sign in' }));
    await page.getByLabel('Username').fill('tara');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const code = page.getByLabel('Authentication code');
    await visible(code);
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    await visible(page.getByRole('button', { name: 'Use a recovery code' }));
    await shot(page, 'totp-02-code-asked');

    await awayFromStepEdge();
    // The next step's code: the one that turned two-factor on is spent, and a step of drift is fine.
    const right = await codeAt(secret, 1);
    await code.fill(right === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await visible(page.getByRole('alert').getByText(/That code is wrong/));
    expect(await page.getByRole('tab', { name: 'Sign in' }).count()).toBe(0);
    await shot(page, 'totp-03-wrong-code');

    await code.fill(right);
    await page.getByRole('button', { name: 'Verify' }).click();
    await visible(page.getByRole('link', { name: 'Settings' }));
    await visible(page.getByRole('status', { name: 'Connection: Connected' }), 20_000);
    expect(await page.getByLabel('Authentication code').count()).toBe(0);
  });

  it('puts the set-up before the chat when the settings require two-factor', async () => {
    const uma = await person(world, { name: 'uma' });
    await sql(`UPDATE sign_in_settings SET require_totp = true`);
    try {
      const { page } = uma;
      await register(page, 'uma', password);
      await visible(page.getByRole('heading', { name: 'Set up two-factor authentication', level: 1 }));
      // The chat is not there yet: no channel list, no socket.
      expect(await page.getByRole('heading', { name: 'Channels' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
      const key = page.getByLabel('Secret key');
      await visible(key);
      const umaSecret = ((await key.textContent()) ?? '').replace(/\s+/g, '');
      await awayFromStepEdge();
      await page.getByLabel('Code from the app').fill(await codeAt(umaSecret));
      await page.getByRole('button', { name: 'Turn on two-factor' }).click();
      await visible(page.getByRole('heading', { name: 'Channels' }));
      await visible(page.getByRole('status', { name: 'Connection: Connected' }), 20_000);
      await shot(page, 'totp-04-required-then-chat');
      expect(uma.errors).toEqual([]);
    } finally {
      await sql(`UPDATE sign_in_settings SET require_totp = false`);
    }
  });
});
