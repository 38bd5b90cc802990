#!/bin/sh
# Writes pgbouncer.ini and the userlist from DATABASE_URL (the direct one, from the Secret) and
# the PGBOUNCER_* settings, then runs PgBouncer in the foreground. Both files live on the pod's
# /tmp (an emptyDir; PGBOUNCER_RUN_DIR): the root filesystem is read-only. TLS to Postgres follows
# PGBOUNCER_SERVER_TLS_SSLMODE, not the URL's sslmode. Passwords must be URL-safe (as the app's
# DATABASE_URL already requires: no percent-decoding here).
set -eu
umask 077
run=${PGBOUNCER_RUN_DIR:-/tmp}
rest=${DATABASE_URL#*://}
creds=${rest%%@*}
rest=${rest#*@}
user=${creds%%:*}
password=${creds#*:}
hostport=${rest%%/*}
database=${rest#*/}
database=${database%%\?*}
host=${hostport%:*}
port=${hostport##*:}
[ "$port" = "$hostport" ] && port=5432

printf '"%s" "%s"\n' "$user" "$password" > "$run/userlist.txt"
cat > "$run/pgbouncer.ini" <<INI
[databases]
${database} = host=${host} port=${port} dbname=${database}

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${run}/userlist.txt
# SHOW POOLS / SHOW STATS for the app user (docs/operations.md "Connection pooling").
stats_users = ${user}
pool_mode = transaction
max_prepared_statements = ${PGBOUNCER_MAX_PREPARED_STATEMENTS}
default_pool_size = ${PGBOUNCER_DEFAULT_POOL_SIZE}
max_db_connections = ${PGBOUNCER_MAX_DB_CONNECTIONS}
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN}
server_tls_sslmode = ${PGBOUNCER_SERVER_TLS_SSLMODE}
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
log_connections = 0
log_disconnections = 0
INI
exec pgbouncer "$run/pgbouncer.ini"
