#!/bin/sh
# The sentinel sidecar of a redis-ha pod (k8s/components/redis-sentinel). Sentinel rewrites its
# configuration with what it learns (the current master, its peers), so the file lives on the
# pod's volume and is written only when missing. It watches the master its peers name (a sentinel
# that starts afresh must not watch a node that has since become a replica), or pod 0 on the very
# first start.
set -eu
export REDISCLI_AUTH="$REDIS_PASSWORD"
me="$(hostname).$HEADLESS_SERVICE"
conf=/sentinel/sentinel.conf

ask_master() {
  out=$(timeout 3 redis-cli -h "$1" -p 26379 --raw sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1) || true
  case "$out" in '' | *' '*) echo '' ;; *) echo "$out" ;; esac
}

if [ ! -s "$conf" ]; then
  master=""
  i=0
  while [ "$i" -lt "$REPLICAS" ] && [ -z "$master" ]; do
    peer="$STATEFULSET-$i.$HEADLESS_SERVICE"
    [ "$peer" = "$me" ] || master=$(ask_master "$peer")
    i=$((i + 1))
  done
  [ -n "$master" ] || master="$STATEFULSET-0.$HEADLESS_SERVICE"
  umask 077
  cat > "$conf" <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $me
requirepass $REDIS_PASSWORD
sentinel sentinel-pass $REDIS_PASSWORD
sentinel monitor $MASTER_NAME $master 6379 $QUORUM
sentinel auth-pass $MASTER_NAME $REDIS_PASSWORD
sentinel down-after-milliseconds $MASTER_NAME $DOWN_AFTER_MS
sentinel failover-timeout $MASTER_NAME $FAILOVER_TIMEOUT_MS
sentinel parallel-syncs $MASTER_NAME 1
CONF
fi
exec redis-server "$conf" --sentinel
