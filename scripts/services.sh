#!/usr/bin/env bash
# Local services for PgOptimizer: a PostgreSQL 15 primary, two streaming replicas of it and Redis 7,
# all on loopback, all kept under the project's git-ignored state folder.
#
#   scripts/services.sh up        install what is missing, start everything, print exports
#   scripts/services.sh down      stop what this script started (nothing else)
#   scripts/services.sh status    say what runs
#   scripts/services.sh env       print the connection settings as shell exports
#   scripts/services.sh stop  primary|replica|replica2|redis    stop one server (tests use it for outages)
#   scripts/services.sh start primary|replica|replica2|redis    start one server again
#   scripts/services.sh drop-replicas   stop both replicas and remove them with their replication
#                                       slots, for runs without a replica (a stopped replica's slot
#                                       holds back VACUUM); the next 'up' clones them again
#
# Ports and the folder can be changed with PGOPT_PG_PORT, PGOPT_REPLICA_PORT, PGOPT_REPLICA2_PORT,
# PGOPT_REDIS_PORT and PGOPT_STATE_DIR; a default port another program holds is passed over at the
# first 'up'. Run as root (it installs packages and runs PostgreSQL as the postgres user).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PGOPT_STATE_DIR:-$ROOT/.state}"
# the ports the first 'up' chose (a default port some other program holds is passed over) are kept
# in the state folder, so every later command finds the same servers; the environment overrides
PORTS_FILE="$STATE/ports"
SAVED_PG_PORT="" SAVED_REPLICA_PORT="" SAVED_REPLICA2_PORT="" SAVED_REDIS_PORT=""
if [ -f "$PORTS_FILE" ]; then
  # shellcheck disable=SC1090
  . "$PORTS_FILE"
fi
PG_PORT="${PGOPT_PG_PORT:-${SAVED_PG_PORT:-55432}}"
REPLICA_PORT="${PGOPT_REPLICA_PORT:-${SAVED_REPLICA_PORT:-55433}}"
REPLICA2_PORT="${PGOPT_REPLICA2_PORT:-${SAVED_REPLICA2_PORT:-$((REPLICA_PORT + 1))}}"
REDIS_PORT="${PGOPT_REDIS_PORT:-${SAVED_REDIS_PORT:-56379}}"
PG_BIN=/usr/lib/postgresql/15/bin
PG_DB=pgopt_demo
PRIMARY_DIR="$STATE/pg/primary"
REPLICA_DIR="$STATE/pg/replica"
REPLICA2_DIR="$STATE/pg/replica2"
RUN_DIR="$STATE/pg/run"
REDIS_DIR="$STATE/redis"
PASSFILE="$STATE/pg/password"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }
as_pg() { runuser -u postgres -- "$@"; }

ensure_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
  [ -f /usr/share/postgresql/15/extension/hypopg.control ] || missing+=(postgresql-15-hypopg)
  [ -f /usr/share/postgresql/15/extension/pg_qualstats.control ] || missing+=(postgresql-15-pg-qualstats)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root so they can be installed"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # The Debian packages start their own default services; we do not use them.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for svc in postgresql redis-server prometheus prometheus-node-exporter; do
      (service "$svc" stop >/dev/null 2>&1 || true)
    done
  fi
}

# something accepts connections on 127.0.0.1:port
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# before a server's first start: a port neither set in the environment nor kept from an earlier
# 'up' moves to the next free one when another program holds it; the choice is kept
choose_ports() {
  local used=" "
  pick() { # variable env-name in-use-by-us
    local var="$1" env="$2" ours="$3" port="${!1}"
    if [ -z "${!env:-}" ] && [ "$ours" = 0 ]; then
      while port_taken "$port" || [[ "$used" == *" $port "* ]]; do port=$((port + 1)); done
      if [ "$port" != "${!1}" ]; then log "port ${!1} is in use; using $port (set $env to choose)"; fi
      printf -v "$var" '%s' "$port"
    fi
    used="$used${!1} "
  }
  local p=0 r=0 r2=0 rd=0
  [ -f "$PRIMARY_DIR/PG_VERSION" ] && p=1
  [ -f "$REPLICA_DIR/PG_VERSION" ] && r=1
  [ -f "$REPLICA2_DIR/PG_VERSION" ] && r2=1
  redis_running && rd=1
  [ -f "$PORTS_FILE" ] && p=1 r=1 r2=1 rd=1 # chosen before: keep them
  pick PG_PORT PGOPT_PG_PORT "$p"
  pick REPLICA_PORT PGOPT_REPLICA_PORT "$r"
  pick REPLICA2_PORT PGOPT_REPLICA2_PORT "$r2"
  pick REDIS_PORT PGOPT_REDIS_PORT "$rd"
  printf 'SAVED_PG_PORT=%s\nSAVED_REPLICA_PORT=%s\nSAVED_REPLICA2_PORT=%s\nSAVED_REDIS_PORT=%s\n' \
    "$PG_PORT" "$REPLICA_PORT" "$REPLICA2_PORT" "$REDIS_PORT" > "$PORTS_FILE"
}

pg_running() { [ -f "$1/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# pg_ctl start|restart, and when the server does not come up, the reason: the end of its log and
# whoever already listens on its port
pg_ctl_up() { # start|restart dir log port
  local action="$1" dir="$2" logfile="$3" port="$4"
  local extra=(); [ "$action" = restart ] && extra=(-m fast)
  if as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$logfile" -w -t 60 "$action" "${extra[@]}" >/dev/null; then return 0; fi
  # a machine that cannot map 1 GB of shared buffers (strict overcommit, a small memory limit)
  # still gets a server: PostgreSQL's default buffers, said plainly
  local recent; recent="$(tail -n 20 "$logfile" 2>/dev/null || true)"
  if [[ "$recent" == *"shared memory"* ]] && ! grep -q "^shared_buffers = 128MB # lowered" "$dir/postgresql.conf"; then
    log "PostgreSQL in $dir could not map its shared buffers; starting it with shared_buffers = 128MB"
    printf "shared_buffers = 128MB # lowered: 1GB could not be mapped\n" | as_pg tee -a "$dir/postgresql.conf" >/dev/null
    if as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$logfile" -w -t 60 start >/dev/null; then return 0; fi
  fi
  log "PostgreSQL in $dir did not start; the end of $logfile:"
  tail -n 25 "$logfile" 2>/dev/null | sed 's/^/[services]   /' >&2 || true
  if command -v ss >/dev/null 2>&1 && ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
    log "port $port is already taken: $(ss -ltnpH "sport = :$port" 2>/dev/null | head -n 1)"
  fi
  die "PostgreSQL on port $port did not start"
}

wait_pg() { # port
  local i
  for i in $(seq 1 120); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1"; then return 0; fi
    sleep 0.5
  done
  die "PostgreSQL on port $1 did not accept connections within 60 s"
}

password() { cat "$PASSFILE"; }

psql_primary() {
  PGPASSWORD="$(password)" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

init_primary() {
  [ -f "$PRIMARY_DIR/PG_VERSION" ] && return 0
  log "initialising primary in $PRIMARY_DIR"
  mkdir -p "$STATE/pg" "$RUN_DIR"
  chown postgres:postgres "$STATE/pg" "$RUN_DIR"
  chmod 700 "$STATE/pg"
  if [ ! -s "$PASSFILE" ]; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$PASSFILE"
    chmod 600 "$PASSFILE"
  fi
  local pwfile; pwfile="$(mktemp)"; cp "$PASSFILE" "$pwfile"; chown postgres "$pwfile"
  as_pg "$PG_BIN/initdb" -D "$PRIMARY_DIR" -U postgres --pwfile="$pwfile" -A scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  cat >> "$PRIMARY_DIR/postgresql.conf" <<CONF

# --- PgOptimizer local primary ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN_DIR'
max_connections = 200
shared_buffers = 1GB
effective_cache_size = 4GB
work_mem = 16MB
# the data lives in memory and on SSD: a random read costs about what a sequential one does (the
# default 4 is a spinning disk's, and makes prepared statements' generic plans sort instead of
# reading an index in order; pgopt doctor warns about it)
random_page_cost = 1.1
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 15min
wal_level = replica
max_wal_senders = 8
max_replication_slots = 8
wal_keep_size = 1GB
hot_standby = on
hot_standby_feedback = on
# standbys report their horizon each second (10 s by default), so a VACUUM right after a load
# (pgopt seed) can mark pages all-visible without waiting long for the standbys' feedback
wal_receiver_status_interval = 1s
shared_preload_libraries = 'pg_stat_statements,pg_qualstats'
pg_stat_statements.track = all
pg_stat_statements.max = 10000
track_io_timing = on
track_activity_query_size = 4096
logging_collector = off
log_min_duration_statement = -1
CONF
  cat > "$PRIMARY_DIR/pg_hba.conf" <<HBA
local   all          postgres                 peer
host    all          all         127.0.0.1/32 scram-sha-256
host    replication  all         127.0.0.1/32 scram-sha-256
HBA
  pg_ctl_up start "$PRIMARY_DIR" "$STATE/pg/primary.log" "$PG_PORT"
  wait_pg "$PG_PORT"
  psql_primary -d postgres -c "CREATE DATABASE $PG_DB"
  psql_primary -d "$PG_DB" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg; CREATE EXTENSION IF NOT EXISTS pg_qualstats;"
  psql_primary -d postgres -c "SELECT pg_create_physical_replication_slot('pgopt_replica')" >/dev/null
}

start_primary() {
  init_primary
  # a primary made before pg_qualstats was preloaded: add it (a later line overrides), restart once
  if ! grep -q "pg_qualstats" "$PRIMARY_DIR/postgresql.conf"; then
    printf "shared_preload_libraries = 'pg_stat_statements,pg_qualstats'\n" >> "$PRIMARY_DIR/postgresql.conf"
    if pg_running "$PRIMARY_DIR"; then
      log "restarting primary to load pg_qualstats"
      pg_ctl_up restart "$PRIMARY_DIR" "$STATE/pg/primary.log" "$PG_PORT"
    fi
  fi
  # a primary made before the planner's page cost was set: add it (a reload applies it)
  if ! grep -q "^random_page_cost" "$PRIMARY_DIR/postgresql.conf"; then
    printf "random_page_cost = 1.1\n" >> "$PRIMARY_DIR/postgresql.conf"
    if pg_running "$PRIMARY_DIR"; then as_pg "$PG_BIN/pg_ctl" -D "$PRIMARY_DIR" reload >/dev/null; fi
  fi
  if ! pg_running "$PRIMARY_DIR"; then
    log "starting primary on 127.0.0.1:$PG_PORT"
    pg_ctl_up start "$PRIMARY_DIR" "$STATE/pg/primary.log" "$PG_PORT"
  fi
  wait_pg "$PG_PORT"
  psql_primary -d "$PG_DB" -c "CREATE EXTENSION IF NOT EXISTS pg_qualstats" >/dev/null 2>&1 || true
}

init_replica() { # dir port slot
  local dir="$1" port="$2" slot="$3"
  [ -f "$dir/PG_VERSION" ] && return 0
  log "cloning $slot with pg_basebackup into $dir"
  rm -rf "$dir"
  psql_primary -d postgres -c "SELECT pg_create_physical_replication_slot('$slot') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$slot')" >/dev/null
  local pgpass; pgpass="$(mktemp)"
  printf '127.0.0.1:%s:*:postgres:%s\n' "$PG_PORT" "$(password)" > "$pgpass"
  chown postgres "$pgpass"; chmod 600 "$pgpass"
  as_pg env PGPASSFILE="$pgpass" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -D "$dir" -R -X stream -S "$slot" -c fast >/dev/null
  rm -f "$pgpass"
  # pg_basebackup -R writes primary_conninfo with a passfile path that is gone now: put the
  # password in the replica's own (mode 0600) auto.conf instead.
  as_pg sed -i "/^primary_conninfo/d" "$dir/postgresql.auto.conf"
  printf "primary_conninfo = 'host=127.0.0.1 port=%s user=postgres password=%s application_name=%s'\nport = %s\n" \
    "$PG_PORT" "$(password)" "$slot" "$port" | as_pg tee -a "$dir/postgresql.auto.conf" >/dev/null
  as_pg chmod 600 "$dir/postgresql.auto.conf"
}

start_replica() { # dir port slot
  local dir="$1" port="$2" slot="$3"
  init_replica "$dir" "$port" "$slot"
  if ! grep -q "^random_page_cost" "$dir/postgresql.conf"; then # copied from a primary made before it was set
    printf "random_page_cost = 1.1\n" | as_pg tee -a "$dir/postgresql.conf" >/dev/null
    if pg_running "$dir"; then as_pg "$PG_BIN/pg_ctl" -D "$dir" reload >/dev/null; fi
  fi
  if ! pg_running "$dir"; then
    log "starting $slot on 127.0.0.1:$port"
    pg_ctl_up start "$dir" "$dir.log" "$port"
  fi
  wait_pg "$port"
  local i
  for i in $(seq 1 120); do
    if [ "$(psql_primary -d postgres -tAc "SELECT count(*) FROM pg_stat_replication WHERE application_name='$slot' AND state='streaming'")" = 1 ]; then
      return 0
    fi
    sleep 0.5
  done
  die "$slot did not start streaming within 60 s (see $dir.log)"
}

redis_running() { [ -f "$REDIS_DIR/redis.pid" ] && kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; }

start_redis() {
  mkdir -p "$REDIS_DIR"
  if ! redis_running; then
    log "starting redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
      --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --dir "$REDIS_DIR" \
      --save '' --appendonly no --protected-mode yes >/dev/null
  fi
  local i
  for i in $(seq 1 120); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; then return 0; fi
    sleep 0.25
  done
  die "redis on port $REDIS_PORT did not answer within 30 s (see $REDIS_DIR/redis.log)"
}

stop_pg() { # dir name
  if pg_running "$1"; then
    log "stopping $2"
    as_pg "$PG_BIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null
  fi
}

stop_redis() {
  if redis_running; then
    log "stopping redis"
    local pid; pid="$(cat "$REDIS_DIR/redis.pid")"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    rm -f "$REDIS_DIR/redis.pid"
  fi
}

print_env() {
  [ -s "$PASSFILE" ] || die "no local services yet: run 'scripts/services.sh up' first"
  local pw; pw="$(password)"
  cat <<ENV
export PGOPT_CONNECTION='postgresql://postgres:${pw}@127.0.0.1:${PG_PORT}/${PG_DB}'
export PGOPT_REPLICA_CONNECTIONS='postgresql://postgres:${pw}@127.0.0.1:${REPLICA_PORT}/${PG_DB} postgresql://postgres:${pw}@127.0.0.1:${REPLICA2_PORT}/${PG_DB}'
export REDIS_URL='redis://127.0.0.1:${REDIS_PORT}/0'
ENV
}

status() {
  local rc=0
  if pg_running "$PRIMARY_DIR"; then echo "primary  127.0.0.1:$PG_PORT  running"; else echo "primary  127.0.0.1:$PG_PORT  stopped"; rc=1; fi
  if pg_running "$REPLICA_DIR"; then echo "replica  127.0.0.1:$REPLICA_PORT  running"; else echo "replica  127.0.0.1:$REPLICA_PORT  stopped"; rc=1; fi
  if pg_running "$REPLICA2_DIR"; then echo "replica2 127.0.0.1:$REPLICA2_PORT  running"; else echo "replica2 127.0.0.1:$REPLICA2_PORT  stopped"; rc=1; fi
  if redis_running; then echo "redis    127.0.0.1:$REDIS_PORT  running"; else echo "redis    127.0.0.1:$REDIS_PORT  stopped"; rc=1; fi
  return $rc
}

one() { # start|stop name
  case "$2" in
    primary) if [ "$1" = start ]; then start_primary; else stop_pg "$PRIMARY_DIR" primary; fi ;;
    replica) if [ "$1" = start ]; then start_replica "$REPLICA_DIR" "$REPLICA_PORT" pgopt_replica; else stop_pg "$REPLICA_DIR" replica; fi ;;
    replica2) if [ "$1" = start ]; then start_replica "$REPLICA2_DIR" "$REPLICA2_PORT" pgopt_replica2; else stop_pg "$REPLICA2_DIR" replica2; fi ;;
    redis)   if [ "$1" = start ]; then start_redis; else stop_redis; fi ;;
    *) echo "usage: $0 $1 primary|replica|replica2|redis" >&2; exit 2 ;;
  esac
}

case "${1:-}" in
  up)
    [ "$(id -u)" = 0 ] || die "run as root: PostgreSQL is started as the postgres user"
    ensure_packages
    mkdir -p "$STATE"
    choose_ports
    start_primary
    start_replica "$REPLICA_DIR" "$REPLICA_PORT" pgopt_replica
    start_replica "$REPLICA2_DIR" "$REPLICA2_PORT" pgopt_replica2
    start_redis
    print_env > "$STATE/env"; chmod 600 "$STATE/env"
    print_env
    ;;
  down)
    stop_redis
    stop_pg "$REPLICA2_DIR" replica2
    stop_pg "$REPLICA_DIR" replica
    stop_pg "$PRIMARY_DIR" primary
    ;;
  drop-replicas)
    stop_pg "$REPLICA2_DIR" replica2
    stop_pg "$REPLICA_DIR" replica
    # hot_standby_feedback keeps each standby's oldest snapshot in its slot: with the standby gone,
    # the slot would keep VACUUM from removing dead rows and marking pages all-visible for good
    if pg_running "$PRIMARY_DIR"; then
      psql_primary -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('pgopt_replica', 'pgopt_replica2') AND NOT active" >/dev/null
    fi
    rm -rf "$REPLICA_DIR" "$REPLICA2_DIR" "$REPLICA_DIR.log" "$REPLICA2_DIR.log"
    log "replicas removed; 'up' clones them again"
    ;;
  status) status ;;
  env) print_env ;;
  start|stop) [ $# -ge 2 ] || { echo "usage: $0 $1 primary|replica|replica2|redis" >&2; exit 2; }; one "$1" "$2" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
