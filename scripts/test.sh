#!/usr/bin/env bash
# `npm test`: every suite — unit, e2e against real Postgres/Redis/S3-protocol servers, deployment
# validation, the browser suite in Debian's chromium, and the fault-injection suites. Postgres is
# DATABASE_URL, or an embedded PostgreSQL the test setup starts when it is unset; Redis is REDIS_URL,
# or a private Debian redis-server the test setup starts on a free loopback port when it is unset.
# Either way every suite runs: none is skipped for want of a service.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser suite needs Debian's chromium; the private Redis and the fault suites (which stop and
# start a Redis of their own) need redis-server; the alert rules' unit tests need promtool; the
# terminal client's test needs tmux. Install them where we can (root with apt).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# The pooler suite runs Debian's pgbouncer; the backup/restore suite pg_dump, pg_restore and psql,
# and, when the run's server is newer than that pg_dump (the embedded PostgreSQL 17), a private
# server of pg_dump's own version from Debian's postgresql package.
[ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian ${need[*]} for the browser, Redis and fault suites…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

npx jest "$@"
if [ -f apps/web/e2e/jest.config.js ]; then
  npm run test:browser
fi
npm run test:faults
