#!/bin/sh
# Entrypoint of the web image (nginx): renders the real-client-address settings from
# TRUSTED_PROXIES, then runs nginx (or the command given).
#
# TRUSTED_PROXIES: comma-separated addresses or CIDRs of the proxies in front of nginx (a TLS
# terminator, a load balancer), or the names loopback, linklocal, uniquelocal. nginx then takes the
# client address from X-Forwarded-For, walking back through those proxies only
# (set_real_ip_from / real_ip_header / real_ip_recursive): that address is what the front door
# hashes to pick a gateway and what it passes on to the services, whose login and registration
# budgets count by it. Empty (the default): no proxy is trusted, the peer is the client, and an
# X-Forwarded-For a client sends is ignored.
#
# The rendered file goes to $NGINX_RENDERED_DIR (default /tmp/nginx-conf.d, the root file system is
# read-only), which deploy/nginx/nginx.conf includes.
set -eu
set -f # no glob expansion of the list's items

out_dir="${NGINX_RENDERED_DIR:-/tmp/nginx-conf.d}"
mkdir -p "$out_dir"

ranges=""
for item in $(printf '%s' "${TRUSTED_PROXIES:-}" | tr ',' ' '); do
  case "$item" in
    loopback) ranges="$ranges 127.0.0.0/8 ::1/128" ;;
    linklocal) ranges="$ranges 169.254.0.0/16 fe80::/10" ;;
    uniquelocal) ranges="$ranges 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7" ;;
    *)
      # An IPv4 or IPv6 address with an optional prefix length; nothing else reaches the config.
      if printf '%s' "$item" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?$'; then
        ranges="$ranges $item"
      else
        echo "web-entrypoint: TRUSTED_PROXIES: '$item' is not an address, a CIDR or loopback/linklocal/uniquelocal" >&2
        exit 64
      fi
      ;;
  esac
done

tmp="$out_dir/.real-ip.conf.$$"
{
  echo "# Rendered by web-entrypoint.sh from TRUSTED_PROXIES."
  if [ -n "$ranges" ]; then
    for r in $ranges; do echo "set_real_ip_from $r;"; done
    echo "real_ip_header X-Forwarded-For;"
    echo "real_ip_recursive on;"
  else
    echo "# No trusted proxy: \$remote_addr is the peer's address."
  fi
} >"$tmp"
mv "$tmp" "$out_dir/real-ip.conf"

if [ "$#" -eq 0 ]; then
  set -- nginx -g 'daemon off;'
fi
exec "$@"
