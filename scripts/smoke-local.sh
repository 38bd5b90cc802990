#!/usr/bin/env bash
# Starts the built local mode with no external services (embedded PostgreSQL, s3rver), registers and
# logs in through the front door, stops it (within 10 s, the database with it), starts it again, and
# logs in again: the data must have survived. Needs `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
log=$(mktemp)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

start() {
  # Only the front door port is fixed here; the services take free ports of their own.
  env -u DATABASE_URL -u REDIS_URL -u S3_ENDPOINT PORT="$port" DATA_DIR="$data" AUTH_PORT=0 GATEWAY_PORT=0 MEDIA_PORT=0 \
    node dist/scripts/start-local.js >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    grep -q "is running at" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "local mode exited"; exit 1; }
    sleep 1
  done
  cat "$log"; echo "local mode did not start"; exit 1
}
stop() {
  local t0=$SECONDS
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  [ $((SECONDS - t0)) -le 10 ] || { echo "local mode took $((SECONDS - t0)) s to stop"; exit 1; }
  # The embedded PostgreSQL stopped with it (a clean shutdown removes its postmaster.pid).
  [ ! -f "$data/postgres/postmaster.pid" ] || { echo "the embedded PostgreSQL is still running"; cat "$log"; exit 1; }
}
post() { curl -sS -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port$1" -H 'content-type: application/json' -d "$2"; }

start
code=$(post /auth/register '{"username":"smoke_user","password":"smoke-password"}')
[ "$code" = 201 ] || { echo "register answered $code"; cat "$log"; exit 1; }
code=$(post /auth/login '{"username":"smoke_user","password":"smoke-password"}')
[ "$code" = 200 ] || { echo "login answered $code"; exit 1; }
web=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
stop

start
code=$(post /auth/login '{"username":"smoke_user","password":"smoke-password"}')
[ "$code" = 200 ] || { echo "login after restart answered $code"; cat "$log"; exit 1; }
stop
grep -q "embedded PostgreSQL" "$log" || { echo "local mode did not use the embedded PostgreSQL"; cat "$log"; exit 1; }
echo "local mode smoke: register 201, login 200, web $web, login after restart 200"
