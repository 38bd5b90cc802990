#!/usr/bin/env bash
# Restores a `pg_dump -Fc` backup (k8s/components/backups/backup.sh) into an EMPTY database, brings
# its schema forward with the release's migrations, and checks what came back.
#
#   scripts/restore.sh <dump file> <target database URL>
#
#   TARGET: a direct postgres:// URL (never PgBouncer). The database is created when missing; an
#           existing one must hold no tables (restoring over live data is refused, not merged).
#   CHAT_MIGRATE_CMD: how to run the migrations (default `node dist/scripts/migrate.js`, the
#           image's; its DATABASE_URL is set to the target).
#
# Steps (docs/operations.md "Backups and restore"):
#   1. pg_restore --exit-on-error --single-transaction --no-owner --no-privileges: all or nothing.
#   2. the migrations: none pending when the dump came from the same release, forward otherwise.
#   3. a check: the migrations table is there, every channel's last_seq covers its messages, and
#      the row counts are printed for comparison with the source.
set -euo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
dump=$1
target=$2
migrate=${CHAT_MIGRATE_CMD:-node dist/scripts/migrate.js}

[ -r "$dump" ] || { echo "restore: cannot read $dump" >&2; exit 2; }
case "$target" in
  postgres://* | postgresql://*) ;;
  *) echo "restore: the target must be a postgres:// URL" >&2; exit 2 ;;
esac
pg_restore --list "$dump" > /dev/null || { echo "restore: $dump is not a pg_dump -Fc archive" >&2; exit 2; }

# The database name is the URL's path, without a query; the maintenance database is `postgres`.
rest=${target#*://}
path=${rest#*/}
[ "$path" != "$rest" ] || { echo "restore: the target URL names no database" >&2; exit 2; }
dbname=${path%%\?*}
query=
[ "$path" = "$dbname" ] || query="?${path#*\?}"
admin="${target%%://*}://${rest%%/*}/postgres$query"
if [[ ! "$dbname" =~ ^[A-Za-z0-9_-]+$ ]]; then
  echo "restore: database name '$dbname' must be letters, digits, _ or -" >&2
  exit 2
fi

exists=$(psql "$admin" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")
if [ "$exists" = 1 ]; then
  tables=$(psql "$target" -XAtqc \
    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
  if [ "$tables" != 0 ]; then
    echo "restore: database $dbname is not empty ($tables tables): restore into a new database" >&2
    exit 3
  fi
else
  echo "restore: creating database $dbname"
  psql "$admin" -XAtqc "CREATE DATABASE \"$dbname\""
fi

echo "restore: pg_restore $dump -> $dbname"
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$target" "$dump"

echo "restore: migrations ($migrate)"
DATABASE_URL=$target $migrate

echo "restore: checks"
migrations=$(psql "$target" -XAtqc "SELECT count(*) FROM typeorm_migrations")
[ "$migrations" -gt 0 ] || { echo "restore: no migrations recorded: not a chat database" >&2; exit 4; }
behind=$(psql "$target" -XAtqc \
  "SELECT count(*) FROM channels c WHERE c.last_seq < (SELECT coalesce(max(m.seq), 0) FROM messages m WHERE m.channel_id = c.id)")
if [ "$behind" != 0 ]; then
  echo "restore: $behind channels have messages past their last_seq: the dump is inconsistent" >&2
  exit 4
fi
psql "$target" -XAtq -F ' ' -c \
  "SELECT 'users', count(*) FROM users UNION ALL SELECT 'channels', count(*) FROM channels
   UNION ALL SELECT 'messages', count(*) FROM messages UNION ALL SELECT 'migrations', count(*) FROM typeorm_migrations" |
  sed 's/^/restore:   /'
echo "restore: done. Point DATABASE_URL (and pgbouncer's) at $dbname and restart the services."
