'use strict';
/**
 * Docker HEALTHCHECK of the chat image: `node healthcheck.cjs [url]`.
 *
 * Without a URL it finds which app runs in this container (the process whose command line holds
 * dist/apps/<app>/src/main.js, so one image serves all three without per-app build arguments) and
 * asks that app's /readyz on its port (AUTH_PORT / GATEWAY_PORT / MEDIA_PORT, else the defaults).
 * Readiness rather than liveness: compose's `depends_on: service_healthy` should wait until the
 * dependency can serve (database and Redis reachable), not merely until its event loop turns.
 * A container with no app (the one-shot migrate) has nothing to check and reports healthy.
 *
 * Plain CommonJS with no dependencies: it must run with nothing but node, and fast (timeout 2 s).
 */
const { readdirSync, readFileSync } = require('node:fs');
const http = require('node:http');

const PORTS = {
  auth: ['AUTH_PORT', 3001],
  gateway: ['GATEWAY_PORT', 3002],
  media: ['MEDIA_PORT', 3003],
};

function runningApp() {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // the process ended meanwhile, or is not ours
    }
    const m = /dist\/apps\/(auth|gateway|media)\/src\/main\.js/.exec(cmdline);
    if (m) return m[1];
  }
  return undefined;
}

function targetUrl() {
  if (process.argv[2]) return process.argv[2];
  const app = runningApp();
  if (!app) return undefined;
  const [envName, fallback] = PORTS[app];
  return `http://127.0.0.1:${process.env[envName] || fallback}/readyz`;
}

const url = targetUrl();
if (!url) {
  process.stdout.write('no app process in this container: nothing to check\n');
  process.exit(0);
}
const req = http.get(url, { timeout: 2000 }, (res) => {
  res.resume();
  process.stdout.write(`${url} -> ${res.statusCode}\n`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  process.stdout.write(`${url} -> ${err.message}\n`);
  process.exit(1);
});
