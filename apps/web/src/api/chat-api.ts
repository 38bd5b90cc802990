import type {
  AccountDeletionPolicy,
  AuthResult,
  Channel,
  FileInfo,
  Me,
  Member,
  Message,
  MessagePage,
  PushKey,
  SearchResult,
  SignInOptions,
  ThreadList,
  TotpSetup,
  User,
  Webhook,
  WebhookCreated,
  WebhookDelivery,
  WebhookEventName,
} from '@chat/contracts';
import type { ChannelPreferences } from '../state/ports';
import { ApiError, errorFromResponse, networkError } from './errors';
import { publicJson, type FetchLike, type Http } from './http';
import type { TokenManager } from './tokens';

const q = (params: Record<string, string | number | undefined>): string => {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
};
const id = encodeURIComponent;

/** `POST /channels/:id/webhooks`: incoming with a name only, outgoing with a target and events. */
export type NewWebhook = { name: string } | { name: string; url: string; events: WebhookEventName[] };

export interface SearchFilters {
  q: string;
  channelId?: string;
  /** Author's user id. */
  from?: string;
  /** ISO times. */
  before?: string;
  after?: string;
  hasFile?: boolean;
  threadId?: string;
}

/** The auth endpoints that need no token. */
export class AuthApi {
  constructor(
    private readonly base: string,
    private readonly fetchImpl: FetchLike = (i, init) => fetch(i, init),
  ) {}

  register(username: string, password: string, email?: string): Promise<AuthResult> {
    return publicJson(this.fetchImpl, this.base, '/auth/register', {
      username,
      password,
      ...(email ? { email } : {}),
    });
  }

  /** `code`: the two-factor code (or a recovery code), once the server asked for it. */
  login(username: string, password: string, code?: string): Promise<AuthResult> {
    return publicJson(this.fetchImpl, this.base, '/auth/login', {
      username,
      password,
      ...(code ? { code } : {}),
    });
  }

  async logout(refreshToken: string): Promise<void> {
    await publicJson(this.fetchImpl, this.base, '/auth/logout', { refreshToken });
  }

  /** What the sign-in screen offers: the password form, single sign-on (and its button's label). */
  async signInOptions(): Promise<SignInOptions> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}/auth/sign-in-options`, {
        headers: { accept: 'application/json' },
      });
    } catch {
      throw networkError();
    }
    const data: unknown = await res.json().catch(() => null);
    if (!res.ok) throw errorFromResponse(res.status, data, res.headers.get('retry-after'));
    return data as SignInOptions;
  }

  /** Trades the one-time code a single sign-on left in `#/sso?code=` for tokens (once, within a minute). */
  exchangeSsoCode(code: string): Promise<AuthResult> {
    return publicJson(this.fetchImpl, this.base, '/auth/oidc/exchange', { code });
  }

  /** Where the browser goes to sign in at the identity provider; `returnTo` is a route (`/#/…`) to open after. */
  ssoLoginUrl(returnTo?: string): string {
    return `${this.base}/auth/oidc/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`;
  }
}

/** Gateway REST and media calls of the contract (the socket carries the real-time part). */
export class ChatApi {
  constructor(
    readonly http: Http,
    private readonly tokens: TokenManager,
  ) {}

  me = () => this.http.json<Me>('GET', '/auth/me');
  /** `email`: set (a verification link is sent), or null to clear; `emailNotifications`: digests on/off. */
  updateMe = (patch: { email?: string | null; emailNotifications?: boolean }) =>
    this.http.json<Me>('PATCH', '/auth/me', patch);
  searchUsers = (prefix: string) => this.http.json<User[]>('GET', `/users${q({ q: prefix })}`);
  /** Two-factor: a new pending secret and recovery codes; enable with a code of it; disable with a code. */
  setupTwoFactor = () => this.http.json<TotpSetup>('POST', '/auth/2fa/setup');
  enableTwoFactor = (code: string) => this.http.json<null>('POST', '/auth/2fa/enable', { code });
  disableTwoFactor = (code: string) => this.http.json<null>('POST', '/auth/2fa/disable', { code });

  /** Account deletion: what it asks for, and the deletion itself (password, or username for SSO). */
  deletionPolicy = () => this.http.json<AccountDeletionPolicy>('GET', '/auth/me/deletion-policy');
  deleteAccount = (confirmation: { password?: string; confirm?: string; eraseMessages?: boolean }) =>
    this.http.json<null>('DELETE', '/auth/me', confirmation);
  /** The JSON archive of what the caller wrote and uploaded. */
  exportData = () => this.http.blob('/auth/me/export');

  channels = () => this.http.json<Channel[]>('GET', '/channels');
  publicChannels = (search?: string) =>
    this.http.json<Channel[]>('GET', `/channels/public${q({ q: search })}`);
  channel = (channelId: string) => this.http.json<Channel>('GET', `/channels/${id(channelId)}`);
  createChannel = (name: string, kind: 'public' | 'private', topic?: string) =>
    this.http.json<Channel>('POST', '/channels', { name, kind, ...(topic ? { topic } : {}) });
  updateChannel = (channelId: string, patch: { name?: string; topic?: string }) =>
    this.http.json<Channel>('PATCH', `/channels/${id(channelId)}`, patch);
  join = (channelId: string) => this.http.json<Channel>('POST', `/channels/${id(channelId)}/join`);
  leave = (channelId: string) => this.http.json<null>('POST', `/channels/${id(channelId)}/leave`);
  members = (channelId: string) => this.http.json<Member[]>('GET', `/channels/${id(channelId)}/members`);
  addMember = (channelId: string, userId: string) =>
    this.http.json<Member>('POST', `/channels/${id(channelId)}/members`, { userId });
  removeMember = (channelId: string, userId: string) =>
    this.http.json<null>('DELETE', `/channels/${id(channelId)}/members/${id(userId)}`);
  setPreferences = (channelId: string, prefs: ChannelPreferences) =>
    this.http.json<Channel>('PUT', `/channels/${id(channelId)}/preferences`, prefs);
  webhooks = (channelId: string) => this.http.json<Webhook[]>('GET', `/channels/${id(channelId)}/webhooks`);
  createWebhook = (channelId: string, hook: NewWebhook) =>
    this.http.json<WebhookCreated>('POST', `/channels/${id(channelId)}/webhooks`, hook);
  deleteWebhook = (channelId: string, webhookId: string) =>
    this.http.json<null>('DELETE', `/channels/${id(channelId)}/webhooks/${id(webhookId)}`);
  webhookDeliveries = (channelId: string, webhookId: string, limit = 50) =>
    this.http.json<{ deliveries: WebhookDelivery[] }>(
      'GET',
      `/channels/${id(channelId)}/webhooks/${id(webhookId)}/deliveries${q({ limit })}`,
    );
  openDm = (userId: string) => this.http.json<Channel>('POST', '/dms', { userId });

  history = (channelId: string, opts: { before?: number; after?: number; limit?: number } = {}) =>
    this.http.json<MessagePage>('GET', `/channels/${id(channelId)}/messages${q(opts)}`);
  around = (channelId: string, seq: number) =>
    this.http.json<MessagePage>('GET', `/channels/${id(channelId)}/messages${q({ around: seq })}`);
  replies = (rootId: string, after?: number) =>
    this.http.json<MessagePage>('GET', `/messages/${id(rootId)}/replies${q({ after, limit: 100 })}`);
  myThreads = () => this.http.json<ThreadList>('GET', `/users/me/threads${q({ limit: 50 })}`);
  pins = (channelId: string) => this.http.json<Message[]>('GET', `/channels/${id(channelId)}/pins`);
  pin = (channelId: string, messageId: string) =>
    this.http.json<null>('POST', `/channels/${id(channelId)}/pins`, { messageId });
  unpin = (channelId: string, messageId: string) =>
    this.http.json<null>('DELETE', `/channels/${id(channelId)}/pins/${id(messageId)}`);
  search = (f: SearchFilters) =>
    this.http.json<SearchResult>(
      'GET',
      `/search${q({
        q: f.q,
        channelId: f.channelId,
        from: f.from,
        before: f.before,
        after: f.after,
        has: f.hasFile ? 'file' : undefined,
        threadId: f.threadId,
      })}`,
    );
  markRead = (channelId: string, seq: number) =>
    this.http.json<null>('POST', `/channels/${id(channelId)}/read`, { seq });
  sendMessage = (channelId: string, body: string, clientId?: string, attachmentIds?: string[]) =>
    this.http.json<Message>('POST', `/channels/${id(channelId)}/messages`, { body, clientId, attachmentIds });

  pushKey = () => this.http.json<PushKey>('GET', '/push/key');
  /** A browser's PushSubscription.toJSON(): `{ endpoint, keys: { p256dh, auth } }`. */
  subscribePush = (sub: { endpoint: string; keys: { p256dh: string; auth: string } }) =>
    this.http.json<unknown>('POST', '/push/subscriptions', sub);
  unsubscribePush = (endpoint: string) => this.http.json<null>('DELETE', '/push/subscriptions', { endpoint });

  fileBlob = (fileId: string, variant: 'inline' | 'thumb' | 'download', signal?: AbortSignal) =>
    this.http.blob(`/files/${id(fileId)}${variant === 'download' ? '' : q({ [variant]: 1 })}`, signal);

  /**
   * POST /files as multipart (channelId first, then the file, so the server knows the channel
   * before the bytes stream in), with upload progress. XMLHttpRequest because fetch still has no
   * upload progress events. A 401 gets one refresh and one retry, like every other call.
   */
  upload(
    channelId: string,
    file: File,
    onProgress: (loaded: number, total: number) => void,
  ): { done: Promise<FileInfo>; abort: () => void } {
    let xhr: XMLHttpRequest | null = null;
    let aborted = false;
    const once = (token: string) =>
      new Promise<{ status: number; body: unknown; retryAfter: string | null }>((resolve, reject) => {
        const req = new XMLHttpRequest();
        xhr = req;
        req.open('POST', `${this.http.origin}/files`);
        req.setRequestHeader('authorization', `Bearer ${token}`);
        req.setRequestHeader('accept', 'application/json');
        req.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
        req.onload = () => {
          let body: unknown = null;
          try {
            body = req.responseText ? JSON.parse(req.responseText) : null;
          } catch {
            body = null;
          }
          resolve({ status: req.status, body, retryAfter: req.getResponseHeader('retry-after') });
        };
        req.onerror = () => reject(networkError('The upload was interrupted'));
        req.onabort = () => reject(new ApiError('VALIDATION', 'Upload cancelled'));
        const form = new FormData();
        form.append('channelId', channelId);
        form.append('file', file, file.name);
        req.send(form);
      });
    const done = (async () => {
      let token = await this.tokens.getAccessToken();
      for (let attempt = 0; ; attempt++) {
        if (aborted) throw new ApiError('VALIDATION', 'Upload cancelled');
        const r = await once(token);
        if (r.status === 401 && attempt === 0) {
          token = await this.tokens.tokenAfterUnauthorized(token);
          continue;
        }
        if (r.status < 200 || r.status >= 300) throw errorFromResponse(r.status, r.body, r.retryAfter);
        return r.body as FileInfo;
      }
    })();
    return {
      done,
      abort: () => {
        aborted = true;
        xhr?.abort();
      },
    };
  }
}
