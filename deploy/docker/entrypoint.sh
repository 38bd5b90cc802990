#!/bin/sh
# Entrypoint of the chat image (runs under tini). Two jobs:
#
# 1. Secrets from files: for each NAME below, when NAME_FILE is set, NAME is read from that file
#    (the convention of the official postgres/redis images). docker compose mounts secrets as
#    files under /run/secrets; a PEM key does not survive a .env file well, and a file secret does
#    not show up in `docker inspect`.
# 2. Picks the app: `auth`, `gateway`, `media` or `migrate` (anything else is exec'd as given, so
#    `docker run --rm -it chat sh` still works for debugging).
set -eu

for name in JWT_PRIVATE_KEY JWT_PREVIOUS_PUBLIC_KEYS ADMIN_PASSWORD DATABASE_URL REDIS_URL \
  S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY; do
  file_var="${name}_FILE"
  eval "file=\${$file_var:-}"
  if [ -n "$file" ]; then
    eval "already=\${$name:-}"
    if [ -n "$already" ]; then
      echo "entrypoint: both $name and $file_var are set; set only one" >&2
      exit 64
    fi
    if [ ! -r "$file" ]; then
      echo "entrypoint: $file_var=$file is not readable by uid $(id -u)" >&2
      exit 66
    fi
    # $(cat) drops trailing newlines, which neither a PEM parser nor a URL minds.
    value="$(cat "$file")"
    export "$name=$value"
    unset "$file_var"
  fi
done

usage() {
  echo "usage: <image> auth|gateway|media|migrate [--revert]   (or any command to exec)" >&2
}

if [ "$#" -eq 0 ]; then
  usage
  exit 64
fi

app="$1"
shift
case "$app" in
  auth | gateway | media) exec node "/app/dist/apps/$app/src/main.js" "$@" ;;
  migrate) exec node /app/dist/scripts/migrate.js "$@" ;;
  help | --help | -h)
    usage
    exit 64
    ;;
  *) exec "$app" "$@" ;;
esac
