import type { AccountStatus, AdminUser, AuditAction, AuditEvent, Role, User } from '@chat/contracts';

/**
 * The admin console's pure parts: which tabs a role opens, who may act on whom (the server
 * decides in the end; the UI only leaves out what would be refused), wording, and the paging
 * state every list of the console shares.
 */

export const CONSOLE_TABS = ['users', 'channels', 'integrations', 'audit', 'sign-in'] as const;
export type ConsoleTab = (typeof CONSOLE_TABS)[number];

export const TAB_LABELS: Record<ConsoleTab, string> = {
  users: 'Users',
  channels: 'Channels',
  integrations: 'Integrations',
  audit: 'Audit log',
  'sign-in': 'Sign-in',
};

/** Admins see every tab; moderators manage people and channels; anyone else sees none. */
export function consoleTabs(roles: readonly Role[]): ConsoleTab[] {
  if (roles.includes('admin')) return [...CONSOLE_TABS];
  if (roles.includes('moderator')) return ['users', 'channels'];
  return [];
}

export const ADMIN_HASH = '#/admin';
const ADMIN_ROUTE = /^#\/admin(?:\/([a-z-]{1,20}))?\/?$/;

/** `#/admin` or `#/admin/<tab>`; null for any other hash. The tab is null when none (or an unknown one) is named. */
export function parseAdminRoute(hash: string): { tab: ConsoleTab | null } | null {
  const m = ADMIN_ROUTE.exec(hash);
  if (!m) return null;
  const tab = CONSOLE_TABS.find((t) => t === m[1]) ?? null;
  return { tab };
}

export const isAdminRoute = (hash: string): boolean => parseAdminRoute(hash) !== null;

export const adminTabHash = (tab: ConsoleTab): string => `${ADMIN_HASH}/${tab}`;

const isStaff = (u: Pick<User, 'roles'>) => u.roles.includes('admin') || u.roles.includes('moderator');

/** Ban or unban: admins anyone but themselves; moderators members only (never staff). */
export function canBan(me: Pick<User, 'id' | 'roles'>, target: AdminUser): boolean {
  if (target.id === me.id || target.status === 'deactivated') return false;
  if (me.roles.includes('admin')) return true;
  return me.roles.includes('moderator') && !isStaff(target);
}

/** Admin-only actions on someone else's account that still exists. */
export function canAdminister(me: Pick<User, 'id' | 'roles'>, target: AdminUser): boolean {
  return me.roles.includes('admin') && target.id !== me.id && target.status !== 'deactivated';
}

export const STATUS_LABELS: Record<AccountStatus, string> = {
  active: 'Active',
  banned: 'Banned',
  deactivated: 'Deactivated',
};

export const AUDIT_LABELS: Record<AuditAction, string> = {
  'user.roles_changed': 'Roles changed',
  'user.banned': 'User banned',
  'user.unbanned': 'User unbanned',
  'user.deactivated': 'Account deactivated',
  'user.totp_reset': 'Two-factor reset',
  'bot.created': 'Bot created',
  'bot.revoked': 'Bot revoked',
  'webhook.created': 'Webhook created',
  'webhook.revoked': 'Webhook revoked',
  'message.deleted_by_moderator': 'Message deleted by staff',
  'member.removed': 'Member removed',
  'channel.archived': 'Channel archived',
  'channel.unarchived': 'Channel unarchived',
  'channel.owner_changed': 'Channel owner changed',
  'settings.sign_in_changed': 'Sign-in settings changed',
};

/** A readable label; an action this build does not know yet is shown as it came. */
export function auditLabel(action: string): string {
  return (AUDIT_LABELS as Record<string, string>)[action] ?? action;
}

/** Roles in a fixed order, for display ("admin, member"). */
export function formatRoles(roles: readonly string[]): string {
  const order = ['admin', 'moderator', 'member'];
  return [...roles].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(', ') || '—';
}

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", then the date; "never" for null. */
export function relativeTime(iso: string | null, now: Date = new Date()): string {
  if (!iso) return 'never';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '—';
  const s = Math.round((now.getTime() - at.getTime()) / 1000);
  if (s < 45) return 'just now';
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d === 1) return 'yesterday';
  if (d < 30) return `${d} days ago`;
  return at.toISOString().slice(0, 10);
}

/** The details an audit row shows apart (request id, address) are not repeated in "details". */
const SHOWN_APART = new Set(['requestId', 'clientAddress']);

function show(v: unknown): string {
  if (Array.isArray(v)) return v.map(show).join(', ') || 'none';
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '—';
}

/** One line for an event's details: `from → to` when it has both, then `key: value` pairs. */
export function describeDetails(details: Record<string, unknown>): string {
  const rest = Object.entries(details ?? {}).filter(([k]) => !SHOWN_APART.has(k));
  const parts: string[] = [];
  const from = rest.find(([k]) => k === 'from');
  const to = rest.find(([k]) => k === 'to');
  if (from && to) parts.push(`${show(from[1])} → ${show(to[1])}`);
  for (const [k, v] of rest) {
    if (from && to && (k === 'from' || k === 'to')) continue;
    parts.push(`${k}: ${show(v)}`);
  }
  return parts.join('; ') || '—';
}

export function auditRequestId(e: AuditEvent): string | null {
  const v = e.details?.requestId;
  return typeof v === 'string' && v ? v : null;
}

export function auditAddress(e: AuditEvent): string | null {
  const v = e.details?.clientAddress;
  return typeof v === 'string' && v ? v : null;
}

/**
 * A date range picked as `yyyy-mm-dd` days (local time) as the API's ISO bounds: from the start
 * of the first day to the start of the day after the last, so "until the 5th" includes the 5th.
 */
export function dayRange(from: string, to: string): { since?: string; until?: string } {
  const start = (day: string, plus = 0) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    if (!m) return undefined;
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plus);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  };
  return { since: start(from), until: start(to, 1) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const looksLikeId = (s: string): boolean => UUID.test(s.trim());

/**
 * A list the console pages through with "Load more". Every request carries the `seq` it was made
 * for: an answer for an older request (the filters changed meanwhile) is dropped, so a slow first
 * search never overwrites a later one.
 */
export interface PageState<T> {
  items: T[];
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  /** The request whose answer is awaited (or was last taken). */
  seq: number;
}

export type PageAction<T> =
  | { type: 'start'; seq: number; reset: boolean }
  | { type: 'loaded'; seq: number; items: T[]; hasMore: boolean; reset: boolean }
  | { type: 'failed'; seq: number; error: string }
  | { type: 'replace'; item: T }
  | { type: 'remove'; id: string };

export const emptyPage = <T>(): PageState<T> => ({
  items: [],
  hasMore: false,
  loading: false,
  error: null,
  seq: 0,
});

export function pageReducer<T extends { id: string }>(
  state: PageState<T>,
  action: PageAction<T>,
): PageState<T> {
  switch (action.type) {
    case 'start':
      if (action.seq < state.seq) return state;
      return {
        ...state,
        items: action.reset ? [] : state.items,
        hasMore: action.reset ? false : state.hasMore,
        loading: true,
        error: null,
        seq: action.seq,
      };
    case 'loaded': {
      if (action.seq !== state.seq) return state;
      // A row that moved between pages (renamed, re-sorted) is shown once.
      const seen = new Set(action.reset ? [] : state.items.map((x) => x.id));
      const fresh = action.items.filter((x) => !seen.has(x.id));
      return {
        ...state,
        items: action.reset ? fresh : [...state.items, ...fresh],
        hasMore: action.hasMore,
        loading: false,
        error: null,
      };
    }
    case 'failed':
      if (action.seq !== state.seq) return state;
      return { ...state, loading: false, error: action.error };
    case 'replace':
      return { ...state, items: state.items.map((x) => (x.id === action.item.id ? action.item : x)) };
    case 'remove':
      return { ...state, items: state.items.filter((x) => x.id !== action.id) };
  }
}

/** The `after` cursor of the next page: the last id shown. */
export const nextCursor = <T extends { id: string }>(state: PageState<T>): string | undefined =>
  state.items.length ? state.items[state.items.length - 1].id : undefined;
