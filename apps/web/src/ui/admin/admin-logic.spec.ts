import { AUDIT_ACTIONS, type AdminUser, type AuditEvent } from '@chat/contracts';
import {
  auditAddress,
  auditLabel,
  auditRequestId,
  AUDIT_LABELS,
  canAdminister,
  canBan,
  consoleTabs,
  dayRange,
  describeDetails,
  emptyPage,
  formatRoles,
  looksLikeId,
  nextCursor,
  pageReducer,
  parseAdminRoute,
  relativeTime,
  type PageState,
} from './admin-logic';

const user = (over: Partial<AdminUser> = {}): AdminUser => ({
  id: 'u-target',
  username: 'target',
  roles: ['member'],
  createdAt: '2026-01-01T00:00:00.000Z',
  bot: false,
  status: 'active',
  lastSeenAt: null,
  totp: false,
  sso: false,
  ...over,
});
const admin = { id: 'u-admin', roles: ['admin', 'member'] as AdminUser['roles'] };
const moderator = { id: 'u-mod', roles: ['moderator', 'member'] as AdminUser['roles'] };
const member = { id: 'u-member', roles: ['member'] as AdminUser['roles'] };

describe('consoleTabs', () => {
  it('opens every tab to admins, people and channels to moderators, nothing to members', () => {
    expect(consoleTabs(['admin', 'member'])).toEqual([
      'users',
      'channels',
      'integrations',
      'audit',
      'sign-in',
    ]);
    expect(consoleTabs(['moderator', 'member'])).toEqual(['users', 'channels']);
    expect(consoleTabs(['member'])).toEqual([]);
    expect(consoleTabs([])).toEqual([]);
  });
});

describe('parseAdminRoute', () => {
  it('reads the console and its tab from the hash', () => {
    expect(parseAdminRoute('#/admin')).toEqual({ tab: null });
    expect(parseAdminRoute('#/admin/')).toEqual({ tab: null });
    expect(parseAdminRoute('#/admin/audit')).toEqual({ tab: 'audit' });
    expect(parseAdminRoute('#/admin/sign-in')).toEqual({ tab: 'sign-in' });
  });
  it('ignores other routes and unknown tabs', () => {
    expect(parseAdminRoute('#/settings')).toBeNull();
    expect(parseAdminRoute('#/c/abc')).toBeNull();
    expect(parseAdminRoute('#/administrator')).toBeNull();
    expect(parseAdminRoute('#/admin/nope')).toEqual({ tab: null });
    expect(parseAdminRoute('#/admin/users/../../x')).toBeNull();
  });
});

describe('who may act on whom', () => {
  it('lets admins ban anyone but themselves, moderators members only', () => {
    expect(canBan(admin, user())).toBe(true);
    expect(canBan(admin, user({ roles: ['moderator', 'member'] }))).toBe(true);
    expect(canBan(admin, user({ id: admin.id, roles: admin.roles }))).toBe(false);
    expect(canBan(moderator, user())).toBe(true);
    expect(canBan(moderator, user({ roles: ['moderator', 'member'] }))).toBe(false);
    expect(canBan(moderator, user({ roles: ['admin', 'member'] }))).toBe(false);
    expect(canBan(member, user())).toBe(false);
  });
  it('offers nothing on a deactivated account', () => {
    expect(canBan(admin, user({ status: 'deactivated' }))).toBe(false);
    expect(canAdminister(admin, user({ status: 'deactivated' }))).toBe(false);
  });
  it('keeps roles, deactivation and 2FA reset to admins', () => {
    expect(canAdminister(admin, user())).toBe(true);
    expect(canAdminister(admin, user({ id: admin.id }))).toBe(false);
    expect(canAdminister(moderator, user())).toBe(false);
  });
});

describe('wording', () => {
  it('has a readable label for every audit action, and shows unknown ones as they came', () => {
    for (const a of AUDIT_ACTIONS) {
      expect(AUDIT_LABELS[a]).toMatch(/^[A-Z][a-z]/);
      expect(auditLabel(a)).toBe(AUDIT_LABELS[a]);
    }
    expect(auditLabel('user.banned')).toBe('User banned');
    expect(auditLabel('future.thing')).toBe('future.thing');
  });
  it('orders roles', () => {
    expect(formatRoles(['member', 'admin'])).toBe('admin, member');
    expect(formatRoles([])).toBe('—');
  });
  it('says how long ago', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect(relativeTime(null, now)).toBe('never');
    expect(relativeTime('garbage', now)).toBe('—');
    expect(relativeTime('2026-12-06T11:59:30Z', now)).toBe('just now');
    expect(relativeTime('2026-12-06T11:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2026-12-06T09:00:00Z', now)).toBe('3 h ago');
    expect(relativeTime('2026-12-05T10:00:00Z', now)).toBe('yesterday');
    expect(relativeTime('2026-12-02T12:00:00Z', now)).toBe('4 days ago');
    expect(relativeTime('2026-01-02T12:00:00Z', now)).toBe('2026-01-02');
  });
  it('sums up details without the request id and address, which have their own columns', () => {
    const e: AuditEvent = {
      id: 'e1',
      at: '2026-12-06T12:00:00Z',
      actor: { id: 'a', username: 'root' },
      action: 'user.roles_changed',
      target: { type: 'user', id: 't', name: 'bob' },
      details: {
        from: ['member'],
        to: ['moderator', 'member'],
        requestId: 'req-1',
        clientAddress: '10.0.0.9',
      },
    };
    expect(describeDetails(e.details)).toBe('member → moderator, member');
    expect(auditRequestId(e)).toBe('req-1');
    expect(auditAddress(e)).toBe('10.0.0.9');
    expect(describeDetails({ reason: 'spam', count: 3, extra: { a: 1 }, none: null })).toBe(
      'reason: spam; count: 3; extra: {"a":1}; none: —',
    );
    expect(describeDetails({ requestId: 'x' })).toBe('—');
    expect(auditRequestId({ ...e, details: {} })).toBeNull();
  });
});

describe('dayRange', () => {
  it('turns local days into bounds that include the last day', () => {
    const r = dayRange('2026-12-01', '2026-12-05');
    expect(r.since).toBe(new Date(2026, 11, 1).toISOString());
    expect(r.until).toBe(new Date(2026, 11, 6).toISOString());
    expect(dayRange('', '')).toEqual({ since: undefined, until: undefined });
    expect(dayRange('12/01/2026', 'x')).toEqual({ since: undefined, until: undefined });
  });
});

describe('looksLikeId', () => {
  it('tells ids from names', () => {
    expect(looksLikeId('6f1c2a8e-3b9d-4c1e-9f00-0123456789ab')).toBe(true);
    expect(looksLikeId('alice')).toBe(false);
  });
});

describe('pageReducer', () => {
  type Row = { id: string; v: number };
  const rows = (...ids: string[]): Row[] => ids.map((id) => ({ id, v: 0 }));
  const run = (...actions: Parameters<typeof pageReducer<Row>>[1][]): PageState<Row> =>
    actions.reduce((s, a) => pageReducer<Row>(s, a), emptyPage<Row>());

  it('appends the next page and keeps the cursor on the last row', () => {
    const s = run(
      { type: 'start', seq: 1, reset: true },
      { type: 'loaded', seq: 1, items: rows('a', 'b'), hasMore: true, reset: true },
      { type: 'start', seq: 2, reset: false },
      { type: 'loaded', seq: 2, items: rows('c'), hasMore: false, reset: false },
    );
    expect(s.items.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(s.hasMore).toBe(false);
    expect(s.loading).toBe(false);
    expect(nextCursor(s)).toBe('c');
    expect(nextCursor(emptyPage<Row>())).toBeUndefined();
  });

  it('drops the answer to a superseded search, whatever order the answers come in', () => {
    const s = run(
      { type: 'start', seq: 1, reset: true },
      { type: 'start', seq: 2, reset: true },
      { type: 'loaded', seq: 2, items: rows('new'), hasMore: false, reset: true },
      { type: 'loaded', seq: 1, items: rows('old'), hasMore: true, reset: true },
      { type: 'failed', seq: 1, error: 'late failure' },
    );
    expect(s.items.map((r) => r.id)).toEqual(['new']);
    expect(s.hasMore).toBe(false);
    expect(s.error).toBeNull();
  });

  it('clears the list when the filters change, and shows a failure', () => {
    const s = run(
      { type: 'start', seq: 1, reset: true },
      { type: 'loaded', seq: 1, items: rows('a'), hasMore: true, reset: true },
      { type: 'start', seq: 2, reset: true },
    );
    expect(s.items).toEqual([]);
    expect(s.loading).toBe(true);
    const failed = pageReducer<Row>(s, { type: 'failed', seq: 2, error: 'You are not allowed to do that.' });
    expect(failed.error).toBe('You are not allowed to do that.');
    expect(failed.loading).toBe(false);
  });

  it('shows a row once when it moved to the next page', () => {
    const s = run(
      { type: 'start', seq: 1, reset: true },
      { type: 'loaded', seq: 1, items: rows('a', 'b'), hasMore: true, reset: true },
      { type: 'start', seq: 2, reset: false },
      { type: 'loaded', seq: 2, items: rows('b', 'c'), hasMore: false, reset: false },
    );
    expect(s.items.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('puts the server answer for one row in place, and removes rows', () => {
    const s = run(
      { type: 'start', seq: 1, reset: true },
      { type: 'loaded', seq: 1, items: rows('a', 'b'), hasMore: false, reset: true },
      { type: 'replace', item: { id: 'b', v: 7 } },
      { type: 'replace', item: { id: 'zz', v: 1 } },
    );
    expect(s.items).toEqual([
      { id: 'a', v: 0 },
      { id: 'b', v: 7 },
    ]);
    expect(pageReducer<Row>(s, { type: 'remove', id: 'a' }).items.map((r) => r.id)).toEqual(['b']);
  });
});
