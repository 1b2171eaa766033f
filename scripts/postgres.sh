#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for tests: data directory in a temp folder, run as the postgres user,
# listening on 127.0.0.1 only, on a free port.
#
#   scripts/postgres.sh start ENV_FILE   start a cluster, create database hundeschule_test and
#                                        write HS_TEST_POSTGRES_URL=... (and its state) to ENV_FILE
#   scripts/postgres.sh stop ENV_FILE    stop the cluster of ENV_FILE and remove its data directory
#   scripts/postgres.sh crash ENV_FILE   crash the server of ENV_FILE (immediate shutdown: no
#                                        checkpoint, WAL not yet written is lost) and start it
#                                        again on the same port and data directory (crash
#                                        recovery); for tests of what survives a server crash
#
# `source ENV_FILE` (or `set -a; . ENV_FILE`) exports the URL for the tests.
#
# HS_PG_DURABLE=1 (benchmarks): keep PostgreSQL's durable defaults (fsync, synchronous_commit,
# full_page_writes on), so that commit latencies are those of a real server.
set -euo pipefail

cmd=${1:-}
env_file=${2:-}
if [[ -z $cmd || -z $env_file ]]; then
  echo "usage: $0 start|stop|crash ENV_FILE" >&2
  exit 2
fi

pg_version=15
bin=/usr/lib/postgresql/$pg_version/bin

as_postgres() {
  if [[ $(id -un) == postgres ]]; then
    "$@"
  elif [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    # Not root: run the cluster as the current user (initdb refuses only root).
    "$@"
  fi
}

# Starts the server of DIR/data on PORT; DURABLE 1 keeps fsync and synchronous_commit on (the
# options of start and crash).
pg_start() {
  local dir=$1 port=$2 durable=$3
  # fsync off: the cluster is thrown away; the durability of the product is not under test here.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if [[ $durable == 1 ]]; then durability=""; fi
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=300" \
    start >/dev/null
}

port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  if [[ ! -x $bin/initdb ]]; then
    echo "postgres.sh: installing postgresql-$pg_version"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "postgresql-$pg_version" >/dev/null
  fi
  local dir port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/hs-pg.XXXXXX")
  chmod 0755 "$dir"
  if [[ $(id -u) == 0 ]]; then chown postgres: "$dir"; fi
  as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    exit 1
  }
  port=${HS_PG_PORT:-55432}
  while ! port_is_free "$port"; do port=$((port + 1)); done
  local durable=${HS_PG_DURABLE:-0}
  if ! pg_start "$dir" "$port" "$durable"; then
    cat "$dir/server.log" >&2 || true
    rm -rf "$dir"
    exit 1
  fi
  as_postgres /usr/lib/postgresql/$pg_version/bin/psql -h 127.0.0.1 -p "$port" -U postgres -q \
    -c "CREATE DATABASE hundeschule_test" postgres >/dev/null
  mkdir -p "$(dirname "$env_file")"
  cat >"$env_file" <<EOF
HS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/hundeschule_test
HS_PG_DIR=$dir
HS_PG_PORT=$port
HS_PG_DURABLE=$durable
EOF
  echo "postgres.sh: PostgreSQL $pg_version on 127.0.0.1:$port (data in $dir)$([[ $durable == 1 ]] && echo ", durable: fsync on")"
  echo "HS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/hundeschule_test"
}

stop() {
  [[ -f $env_file ]] || return 0
  local dir
  dir=$(sed -n 's/^HS_PG_DIR=//p' "$env_file")
  if [[ -n $dir && -d $dir/data ]]; then
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ -n $dir && $dir == "${TMPDIR:-/tmp}"/hs-pg.* ]]; then rm -rf "$dir"; fi
  rm -f "$env_file"
  echo "postgres.sh: stopped"
}

# Immediate shutdown (the postmaster ends its backends with SIGQUIT; no checkpoint and no flush
# of the WAL buffers: asynchronous commits not yet written are gone, as after a crash of the
# server), then a start with the same options, port and data directory, which replays the WAL.
crash() {
  local dir port durable
  dir=$(sed -n 's/^HS_PG_DIR=//p' "$env_file")
  port=$(sed -n 's/^HS_PG_PORT=//p' "$env_file")
  durable=$(sed -n 's/^HS_PG_DURABLE=//p' "$env_file")
  if [[ -z $dir || -z $port || ! -d $dir/data ]]; then
    echo "postgres.sh: no cluster in $env_file" >&2
    exit 1
  fi
  as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  if ! pg_start "$dir" "$port" "${durable:-0}"; then
    tail -n 30 "$dir/server.log" >&2 || true
    exit 1
  fi
  echo "postgres.sh: crashed and restarted on 127.0.0.1:$port"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  crash) crash ;;
  *)
    echo "usage: $0 start|stop|crash ENV_FILE" >&2
    exit 2
    ;;
esac
