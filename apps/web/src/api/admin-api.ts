import type {
  AccountStatus,
  AuditAction,
  AuditPage,
  Channel,
  DirectoryPage,
  Member,
  Role,
  SignInSettings,
  User,
  UserPage,
  WebhookOverviewPage,
} from '@chat/contracts';
import type { Http } from './http';

export interface UserQuery {
  after?: string;
  limit?: number;
  q?: string;
  status?: AccountStatus;
  role?: Role;
}

export interface AuditQuery {
  after?: string;
  limit?: number;
  action?: AuditAction;
  actorId?: string;
  targetId?: string;
  /** ISO times. */
  since?: string;
  until?: string;
}

export interface DirectoryQuery {
  after?: string;
  limit?: number;
  q?: string;
  archived?: boolean;
}

const q = (params: object): string => {
  const parts = Object.entries(params as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== '' && v !== null)
    .map(
      ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v as string | number | boolean))}`,
    );
  return parts.length ? `?${parts.join('&')}` : '';
};
const id = encodeURIComponent;

/** The admin console's calls (auth and gateway); the server checks every role again. */
export class AdminApi {
  constructor(private readonly http: Http) {}

  users = (query: UserQuery) => this.http.json<UserPage>('GET', `/auth/users${q(query)}`);
  setRoles = (userId: string, roles: Role[]) =>
    this.http.json<User>('PATCH', `/auth/users/${id(userId)}/roles`, { roles });
  ban = (userId: string) => this.http.json<null>('POST', `/auth/users/${id(userId)}/ban`);
  unban = (userId: string) => this.http.json<null>('DELETE', `/auth/users/${id(userId)}/ban`);
  /** Erases the account (admin). */
  deactivate = (userId: string) => this.http.json<null>('DELETE', `/auth/users/${id(userId)}`);
  resetTotp = (userId: string) => this.http.json<null>('DELETE', `/auth/users/${id(userId)}/2fa`);

  audit = (query: AuditQuery) => this.http.json<AuditPage>('GET', `/auth/audit${q(query)}`);
  signInSettings = () => this.http.json<SignInSettings>('GET', '/auth/settings/sign-in');
  saveSignInSettings = (s: SignInSettings) =>
    this.http.json<SignInSettings>('PUT', '/auth/settings/sign-in', s);
  bots = () => this.http.json<User[]>('GET', '/auth/bots');

  directory = (query: DirectoryQuery) =>
    this.http.json<DirectoryPage>('GET', `/channels/directory${q(query)}`);
  archive = (channelId: string) => this.http.json<Channel>('POST', `/channels/${id(channelId)}/archive`);
  unarchive = (channelId: string) => this.http.json<Channel>('DELETE', `/channels/${id(channelId)}/archive`);
  setOwner = (channelId: string, userId: string) =>
    this.http.json<Channel>('PUT', `/channels/${id(channelId)}/owner`, { userId });
  members = (channelId: string) => this.http.json<Member[]>('GET', `/channels/${id(channelId)}/members`);
  webhooks = (query: { after?: string; limit?: number }) =>
    this.http.json<WebhookOverviewPage>('GET', `/hooks${q(query)}`);
}
