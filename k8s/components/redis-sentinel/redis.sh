#!/bin/sh
# The data node of a redis-ha pod (k8s/components/redis-sentinel). It asks the sentinels which
# node is the master and replicates from it; when none answers (the very first start, or every pod
# gone at once), pod 0 starts as the master and the others replicate from it. Nothing is persisted:
# everything in Redis is rebuildable from the database, so a node joins empty and syncs.
set -eu
export REDISCLI_AUTH="$REDIS_PASSWORD"
me="$(hostname).$HEADLESS_SERVICE"

# The master one sentinel names, or nothing (no answer, an error, an unknown master).
ask_master() {
  out=$(timeout 3 redis-cli -h "$1" -p 26379 --raw sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1) || true
  case "$out" in '' | *' '*) echo '' ;; *) echo "$out" ;; esac
}

master=""
i=0
while [ "$i" -lt "$REPLICAS" ] && [ -z "$master" ]; do
  master=$(ask_master "$STATEFULSET-$i.$HEADLESS_SERVICE")
  i=$((i + 1))
done
[ -n "$master" ] || master="$STATEFULSET-0.$HEADLESS_SERVICE"

set -- --port 6379 --dir /data --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD" \
  --replica-announce-ip "$me" --save '' --appendonly no
# Announced by name: a pod's address changes when it is recreated, its name does not.
if [ "$master" != "$me" ]; then set -- "$@" --replicaof "$master" 6379; fi
echo "starting as $([ "$master" = "$me" ] && echo master || echo "replica of $master")"
exec redis-server "$@"
