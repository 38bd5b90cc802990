import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Repository root (test/deploy/support -> ../../..). */
export const ROOT = resolve(__dirname, '../../..');

export function repoPath(...parts: string[]): string {
  return join(ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** The contract's public prefixes (CONTRACT.md "Front door and routing") and where they go. */
export const CONTRACT_ROUTES: ReadonlyArray<{ prefix: string; service: 'auth' | 'media' | 'gateway' }> = [
  { prefix: '/auth/', service: 'auth' },
  { prefix: '/files', service: 'media' },
  { prefix: '/socket.io/', service: 'gateway' },
  { prefix: '/channels', service: 'gateway' },
  { prefix: '/messages', service: 'gateway' },
  { prefix: '/dms', service: 'gateway' },
  { prefix: '/search', service: 'gateway' },
  { prefix: '/users', service: 'gateway' },
  // Additions of 2026-12: Web Push subscriptions and incoming webhooks.
  { prefix: '/push', service: 'gateway' },
  { prefix: '/hooks', service: 'gateway' },
];

/**
 * Request paths the routing checks try, beyond the prefixes themselves: sub-paths, bare prefixes,
 * look-alikes that must NOT be routed (/filesystem, /usersettings), the service health paths
 * (never routed publicly) and client-side routes of the web app.
 */
export const SAMPLE_PATHS: readonly string[] = [
  '/',
  '/index.html',
  '/assets/index-abc123.js',
  '/login',
  '/c/general',
  '/auth',
  '/auth/',
  '/auth/login',
  '/auth/.well-known/jwks.json',
  '/auth/users/1/ban',
  '/authors',
  '/files',
  '/files/',
  '/files/uploads',
  '/files/123/complete',
  '/filesystem',
  '/socket.io',
  '/socket.io/',
  '/socket.iox',
  '/channels',
  '/channels/public',
  '/channels/1/messages',
  '/channelsx',
  '/messages/1',
  '/dms',
  '/search',
  '/users',
  '/users/1',
  '/usersettings',
  '/push/key',
  '/push/subscriptions',
  '/pushy',
  '/hooks/1/secret',
  '/hooksmith',
  '/healthz',
  '/readyz',
  '/metrics',
];
