#!/bin/sh
# preStop of the data node: a master that is being stopped (a rolling update, a drained node)
# hands over first. It asks its sentinel for a failover and waits, up to 20 s, until it is a
# replica, so the services move to the new master in about a second instead of waiting out
# down-after-milliseconds for a master that is gone.
set -u
export REDISCLI_AUTH="$REDIS_PASSWORD"
role() { redis-cli -p 6379 --raw role 2>/dev/null | head -n 1; }
[ "$(role)" = master ] || exit 0
redis-cli -p 26379 sentinel failover "$MASTER_NAME" >/dev/null 2>&1 || exit 0
i=0
while [ "$i" -lt 40 ] && [ "$(role)" = master ]; do
  sleep 0.5
  i=$((i + 1))
done
exit 0
