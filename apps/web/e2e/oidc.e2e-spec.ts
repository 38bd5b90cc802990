import { freePort } from '../../../scripts/lib/embedded';
import { closeSql, sql } from '../../../test/support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../../../test/support/oidc';
import { browserSuiteAvailable, person, shot, startWorld, visible, type Person, type World } from './support';

/**
 * Single sign-on in a real browser: the sign-in screen offers the provider, the provider's own
 * login page signs the person in, and they land in the chat signed in as the provider's user.
 */
const run = browserSuiteAvailable() ? describe : describe.skip;

run('the web client with OpenID Connect single sign-on', () => {
  let idp: TestOidcProvider;
  let world: World;
  let erin: Person;

  beforeAll(async () => {
    // The redirect URI names the web origin, so its port is chosen before anything starts.
    const port = await freePort();
    idp = await startOidcProvider({ redirectUris: [`http://localhost:${port}/auth/oidc/callback`] });
    world = await startWorld(
      {
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        OIDC_DISPLAY_NAME: 'Acme ID',
      },
      port,
    );
    expect(world.stack.url).toBe(`http://localhost:${port}`);
    erin = await person(world, { name: 'erin' });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
    await idp?.stop();
    await closeSql();
  });

  afterEach(() => {
    expect(erin.errors).toEqual([]);
  });

  it('signs in at the provider and lands in the chat as the provider’s user', async () => {
    await idp.setAccount('erin-0042', {
      preferred_username: 'Erin Example',
      email: 'erin@acme.test',
      email_verified: true,
    });
    const { page } = erin;
    await page.goto('/');
    const sso = page.getByRole('button', { name: 'Sign in with Acme ID' });
    await visible(sso);
    // Password login is on: the password form stays the main action, single sign-on the other one.
    await visible(page.getByRole('button', { name: 'Sign in', exact: true }));
    await shot(page, 'oidc-sign-in-screen');
    await sso.click();

    // The provider's own (development) login page.
    await page.waitForURL((u) => u.toString().startsWith(idp.issuer), { timeout: 15_000 });
    await page.locator('input[name="login"]').fill('erin-0042');
    await page.locator('input[name="password"]').fill('whatever the provider checks');
    await page.locator('button[type="submit"]').click();

    await page.waitForURL((u) => u.origin === world.stack.url, { timeout: 15_000 });
    await visible(page.locator('.sidebar-foot .me').getByText('Erin_Example', { exact: true }));
    await visible(page.getByRole('status', { name: 'Connection: Connected' }));
    // The one-time code is off the URL and out of history.
    expect(page.url()).not.toContain('code=');
    expect(await page.evaluate(() => window.location.hash)).toBe('');
    await shot(page, 'oidc-signed-in');

    // A session like a password login's: it survives a reload.
    await page.reload();
    await visible(page.locator('.sidebar-foot .me').getByText('Erin_Example', { exact: true }));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await visible(page.getByRole('button', { name: 'Sign in with Acme ID' }));
  });

  it('shows why a sign-on failed, and refuses a spent code', async () => {
    const { page } = erin;
    // A fresh page load each time: only the hash differs, which would not reload the app.
    await page.goto('about:blank');
    await page.goto(`/#/sso?error=${encodeURIComponent('This account cannot sign in.')}`);
    await visible(page.getByRole('alert').getByText('This account cannot sign in.'));
    expect(await page.evaluate(() => window.location.hash)).toBe('');
    await visible(page.getByRole('button', { name: 'Sign in with Acme ID' }));

    await page.goto('about:blank');
    await page.goto(`/#/sso?code=${'A'.repeat(43)}`);
    await visible(
      page
        .getByRole('alert')
        .getByText('This sign-in link expired or was already used. Please sign in again.'),
    );
    expect(await page.getByRole('tab', { name: 'Sign in' }).count()).toBe(1);
  });

  it('makes single sign-on the main action when password sign-in is off', async () => {
    const { page } = erin;
    await sql(`UPDATE sign_in_settings SET password_login = false`);
    try {
      await page.goto('about:blank');
      await page.goto('/');
      const sso = page.getByRole('button', { name: 'Sign in with Acme ID' });
      await visible(sso);
      expect(await sso.getAttribute('class')).toMatch(/\bprimary\b/);
      await shot(page, 'oidc-password-login-off');
    } finally {
      await sql(`UPDATE sign_in_settings SET password_login = true`);
    }
  });
});
