import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A real OpenID Connect provider (oidc-provider) in a child process, for the tests. */
export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: OIDC_ISSUER. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Sets the profile claims the provider sends for a login name (the login name is the `sub`). */
  setAccount(
    login: string,
    claims: { preferred_username?: string; email?: string; email_verified?: boolean },
  ): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts test/support/oidc-provider.mjs on a free loopback port with one confidential client
 * (PKCE required) allowed to redirect to `redirectUris`. Its development login page accepts any
 * login name and password.
 */
export async function startOidcProvider(opts: {
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}): Promise<TestOidcProvider> {
  const clientId = opts.clientId ?? 'chat';
  const clientSecret = opts.clientSecret ?? 'chat-client-secret-for-tests';
  const child = spawn(
    process.execPath,
    [
      join(__dirname, 'oidc-provider.mjs'),
      JSON.stringify({ clientId, clientSecret, redirectUris: opts.redirectUris }),
    ],
    // stdin stays open: the provider exits when it closes, so it never outlives this process.
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('did not start within 15 s')), 15_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`OIDC provider: ${err.message}\n${stderr}`));
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve((JSON.parse(line) as { issuer: string }).issuer);
    });
  });
  return {
    issuer,
    clientId,
    clientSecret,
    setAccount: async (login, claims) => {
      const res = await fetch(`${issuer}/__test/accounts/${encodeURIComponent(login)}`, {
        method: 'PUT',
        body: JSON.stringify(claims),
      });
      if (res.status !== 204) throw new Error(`OIDC provider: setAccount ${login}: ${res.status}`);
    },
    stop: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
