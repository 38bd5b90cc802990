import { registerUser, request, startAuth, type Running } from '../../../test/support/apps';

describe('auth smoke', () => {
  let auth: Running;
  beforeAll(async () => {
    auth = await startAuth();
  });
  afterAll(() => auth.close());

  it('registers and reads /auth/me', async () => {
    const r = await registerUser(auth.url);
    const me = await request(auth.url, 'GET', '/auth/me', { token: r.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(r.user.username);
  });
});
