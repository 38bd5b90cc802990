#!/bin/sh
# One backup of the chat database: `pg_dump -Fc` (custom format: compressed, restorable table by
# table, read by scripts/restore.sh), checked readable, then renamed into place, so a half-written
# dump never counts as a backup. Then retention: dumps older than BACKUP_RETENTION_DAYS go, but
# only after today's succeeded, so a failing backup never eats the last good ones.
#
# The CronJob of k8s/components/backups runs exactly this; test/deploy/backup-restore.e2e-spec.ts
# runs it too. DATABASE_URL: the direct URL (never PgBouncer: pg_dump needs one session).
set -eu
dir=${BACKUP_DIR:-/backups}
keep_days=${BACKUP_RETENTION_DAYS:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$dir/chat-$stamp.dump"

# A failed dump leaves nothing behind (the .partial sweep below is for a killed pod).
trap 'rm -f "$file.partial"' EXIT
pg_dump --format=custom --compress=6 --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$file.partial"
pg_restore --list "$file.partial" > /dev/null
mv "$file.partial" "$file"
echo "backup written: $file ($(wc -c < "$file") bytes)"

find "$dir" -maxdepth 1 -name 'chat-*.dump' -mtime +"$keep_days" -print -delete
find "$dir" -maxdepth 1 -name 'chat-*.dump.partial' -mmin +60 -print -delete
