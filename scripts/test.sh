#!/usr/bin/env bash
# `npm test`: every suite — unit, e2e against real Postgres/Redis/S3-protocol servers, deployment
# validation, and the browser suite in Debian's chromium. Postgres is DATABASE_URL (embedded PGlite
# when unset), Redis is REDIS_URL (its suites are skipped when unset, except under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser suite needs Debian's chromium; install it where we can (root with apt).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium for the browser suite…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

npx jest "$@"
if [ -f apps/web/e2e/jest.config.js ]; then
  npm run test:browser
fi
