#!/usr/bin/env bash
# `npm test`: every suite — unit, e2e against real Postgres/Redis/S3-protocol servers, deployment
# validation, the browser suite in Debian's chromium, and the fault-injection suites. Postgres is
# DATABASE_URL (embedded PGlite when unset), Redis is REDIS_URL (its suites are skipped when unset,
# except under CI=true). The fault suites need a real Postgres and Debian's redis-server (they stop
# and start a Redis of their own).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser suite needs Debian's chromium, the fault suites redis-server; install them where we
# can (root with apt).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian ${need[*]} for the browser and fault suites…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -n "${DATABASE_URL:-}" ]; then
  npx jest "$@"
else
  # The embedded PGlite serves every connection from one session: suites running side by side
  # interleave their statements there, so they take turns.
  npx jest --runInBand "$@"
fi
if [ -f apps/web/e2e/jest.config.js ]; then
  npm run test:browser
fi

if [ -n "${DATABASE_URL:-}" ] || [ "${CI:-}" = true ]; then
  npm run test:faults
else
  echo "fault suites not run: they need a real Postgres (set DATABASE_URL), see README"
fi
