import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { AuthResult } from '@chat/contracts';
import { createAuthApp } from '../../apps/auth/src/bootstrap';
import { loadAuthConfig } from '../../apps/auth/src/config';

export interface Running {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function listen(app: INestApplication): Promise<Running> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** Environment for an app under test: the run's services plus `overrides`. */
export function testEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...overrides };
}

/** An auth service on a free port, with keys in a fresh directory unless given. */
export async function startAuth(
  overrides: Record<string, string> = {},
): Promise<Running & { jwksUrl: string }> {
  const config = loadAuthConfig(
    testEnv({
      JWT_KEYS_DIR: mkdtempSync(join(tmpdir(), 'chat-keys-')),
      REGISTER_MAX_PER_IP_PER_HOUR: '1000000',
      LOGIN_MAX_FAILURES_PER_IP: '1000000',
      ...overrides,
    }),
  );
  const running = await listen(await createAuthApp(config));
  return { ...running, jwksUrl: `${running.url}/auth/.well-known/jwks.json` };
}

export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A JSON request; `token` becomes a Bearer header. Never throws on an HTTP error status. */
export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(opts.body);
  }
  if (opts.raw !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Registers a fresh user; returns the contract's answer. */
export async function registerUser(
  authUrl: string,
  username = uniqueName(),
  password = 'password-123',
): Promise<AuthResult> {
  const res = await request<AuthResult>(authUrl, 'POST', '/auth/register', { body: { username, password } });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
