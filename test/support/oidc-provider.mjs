// A real OpenID Connect provider (panva's oidc-provider, ESM-only) for the tests, run as a child
// process by test/support/oidc.ts. Its built-in development login page accepts any login name, which
// becomes the account's `sub`; its profile claims are what the test registered for that name
// (PUT /__test/accounts/<login>), or default to preferred_username = login and a verified
// <login>@idp.test.
//
// argv[2]: JSON { clientId, clientSecret, redirectUris: string[] }. Prints one JSON line
// { issuer } once listening, and exits when its stdin closes (the test process ended).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const { clientId, clientSecret, redirectUris } = JSON.parse(process.argv[2]);
const accounts = new Map();

const claimsOf = (login) =>
  accounts.get(login) ?? {
    preferred_username: login,
    email: `${login}@idp.test`,
    email_verified: true,
  };

let handler = null;
const server = createServer((req, res) => {
  const m = /^\/__test\/accounts\/([^/?]+)$/.exec(req.url ?? '');
  if (m && req.method === 'PUT') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      accounts.set(decodeURIComponent(m[1]), JSON.parse(body));
      res.writeHead(204).end();
    });
    return;
  }
  handler(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username'],
      email: ['email', 'email_verified'],
    },
    findAccount: (_ctx, id) => {
      const claims = { ...claimsOf(id), sub: id };
      return { accountId: id, claims: () => claims };
    },
    // The chat is a first-party client: no consent screen, every requested scope is granted.
    loadExistingGrant: async (ctx) => {
      const grantId =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
  });
  handler = provider.callback();
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
