import type { Role } from '@chat/contracts';
import { ACCESS_CASES, ARCHIVED_ACCESS_CASES, type CallerRole } from '../../../test/support/access-cases';
import { CHANNEL_ACTIONS, channelAccess, type ChannelAction } from './channel-access';

const ROLES: Record<CallerRole, Role[]> = {
  user: ['member'],
  moderator: ['member', 'moderator'],
  admin: ['admin'],
};

describe('channelAccess', () => {
  it.each(
    [...ACCESS_CASES, ...ARCHIVED_ACCESS_CASES].map(
      (c) => [c.role, c.archived ? 'archived' : 'live', c.kind, c.membership, c.action, c.expected] as const,
    ),
  )('%s in a %s %s channel (membership: %s) → %s: %s', (role, state, kind, membership, action, want) => {
    const verdict = channelAccess(
      ROLES[role],
      { kind, membership: membership === 'none' ? null : membership, archived: state === 'archived' },
      action,
    );
    expect(verdict.allowed ? 'allow' : verdict.code).toBe(want);
  });

  it('answers a channel that does not exist exactly like one the caller may not see', () => {
    for (const roles of Object.values(ROLES))
      for (const action of CHANNEL_ACTIONS)
        expect(channelAccess(roles, null, action)).toEqual({
          allowed: false,
          code: 'NOT_FOUND',
          reason: 'hidden',
        });
  });

  it('says why a visible channel is refused, so each service can word it', () => {
    const reason = (
      roles: Role[],
      kind: 'public' | 'private' | 'dm',
      membership: 'member' | null,
      action: ChannelAction,
    ) => {
      const v = channelAccess(roles, { kind, membership, archived: false }, action);
      return v.allowed ? 'allowed' : v.reason;
    };
    expect(reason(['member'], 'public', null, 'post')).toBe('join-first');
    expect(reason(['moderator'], 'private', null, 'post')).toBe('not-member');
    expect(reason(['member'], 'public', 'member', 'moderate')).toBe('not-manager');
    expect(reason(['admin'], 'dm', 'member', 'moderate')).toBe('dm-fixed');
    expect(reason(['member'], 'public', 'member', 'administer')).toBe('not-staff');
  });

  it('refuses every change to an archived channel as archived, whoever asks, and nothing else', () => {
    const archived = (roles: Role[], membership: 'owner' | 'member' | null, action: ChannelAction) => {
      const v = channelAccess(roles, { kind: 'public', membership, archived: true }, action);
      return v.allowed ? 'allowed' : v.reason;
    };
    for (const action of ['post', 'upload', 'moderate', 'join', 'add-member'] as const) {
      expect(archived(['admin'], 'owner', action)).toBe('archived');
      expect(archived(['member'], null, action)).toBe('archived');
    }
    for (const action of ['see', 'read', 'download', 'archive', 'administer'] as const)
      expect(archived(['admin'], 'member', action)).toBe('allowed');
    expect(archived(['member'], 'owner', 'archive')).toBe('allowed');
    expect(archived(['member'], 'owner', 'administer')).toBe('not-staff');
  });
});
