import type { AuthResult, ChannelKind } from '@chat/contracts';
import { registerUser, request, startAuth, type Running } from '../../../test/support/apps';
import {
  ACCESS_CASES,
  CALLER_ROLES,
  CHANNEL_STATES,
  insertChannel,
  statusOf,
  type CallerRole,
  type Membership,
} from '../../../test/support/access-cases';
import { startMedia, TestDb, uploadFile, type RunningMedia } from '../../../test/support/media';

/**
 * The channel access rule through the media service's HTTP API: every caller role × channel kind ×
 * membership × the actions media serves (upload, download, delete someone else's file), against
 * the one table the gateway is tested against too (test/support/access-cases.ts).
 */
describe('media: the channel access rule', () => {
  let auth: Running & { jwksUrl: string };
  let media: RunningMedia;
  let db: TestDb;
  const callers = {} as Record<CallerRole, AuthResult>;
  /** Owns the channels the caller does not, is in every channel, and uploaded the files acted on. */
  let host: AuthResult;
  /** The other side of a DM the caller is not in. */
  let third: AuthResult;
  const channels = new Map<string, string>();
  const key = (role: CallerRole, kind: ChannelKind, membership: Membership) =>
    `${role}/${kind}/${membership}`;

  const channel = (kind: ChannelKind, ownerId: string, memberIds: string[]) =>
    insertChannel((text, params) => db.query(text, params), kind, ownerId, memberIds);

  /** A finished upload of the host's in the channel (its object need not exist for these checks). */
  async function hostFile(channelId: string): Promise<string> {
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO files (channel_id, uploaded_by, name, size, content_type, object_key, status)
       VALUES ($1, $2, 'notes.txt', 5, 'text/plain', 'acl/' || gen_random_uuid(), 'ready') RETURNING id`,
      [channelId, host.user.id],
    );
    return id;
  }

  beforeAll(async () => {
    auth = await startAuth();
    media = await startMedia(auth);
    db = await TestDb.connect();
    [host, third, callers.user, callers.moderator, callers.admin] = await Promise.all(
      Array.from({ length: 5 }, () => registerUser(auth.url)),
    );
    // Before the callers' first request: services read roles live, cached for a few seconds.
    await db.setRoles(callers.moderator.user.id, ['member', 'moderator']);
    await db.setRoles(callers.admin.user.id, ['admin']);
    const foreignDm = await channel('dm', host.user.id, [third.user.id]);
    for (const role of CALLER_ROLES) {
      const caller = callers[role].user.id;
      for (const { kind, membership } of CHANNEL_STATES) {
        const id =
          membership === 'owner'
            ? await channel(kind, caller, [host.user.id])
            : membership === 'member'
              ? await channel(kind, host.user.id, [caller])
              : kind === 'dm'
                ? foreignDm
                : await channel(kind, host.user.id, []);
        channels.set(key(role, kind, membership), id);
      }
    }
    // Registering five users (argon2) and writing 25 channels is slow on a loaded machine.
  }, 120_000);

  afterAll(async () => {
    await db.close();
    await media.close();
    await auth.close();
  });

  const mediaCases = ACCESS_CASES.filter((c) => ['upload', 'download', 'delete-file'].includes(c.action));

  it.each(mediaCases.map((c) => [c.role, c.kind, c.membership, c.action, c.expected] as const))(
    '%s, %s channel, membership %s: %s → %s',
    async (role, kind, membership, action, want) => {
      const caller = callers[role];
      const id = channels.get(key(role, kind, membership))!;
      const status = async (method: string, path: string) =>
        (await request(media.url, method, path, { token: caller.accessToken })).status;
      switch (action) {
        case 'upload': {
          const res = await uploadFile(media.url, caller.accessToken, id, Buffer.from('hello'), 'a.txt');
          expect(res.status).toBe(statusOf(want, 201));
          break;
        }
        case 'download':
          expect(await status('GET', `/files/${await hostFile(id)}/meta`)).toBe(statusOf(want, 200));
          break;
        case 'delete-file':
          expect(await status('DELETE', `/files/${await hostFile(id)}`)).toBe(statusOf(want, 204));
          break;
      }
    },
  );
});
