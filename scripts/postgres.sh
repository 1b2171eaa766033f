#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for tests: data directory in a temp folder, run as the postgres user,
# listening on 127.0.0.1 only, on a free port.
#
#   scripts/postgres.sh start ENV_FILE   start a cluster, create database hundeschule_test and
#                                        write HS_TEST_POSTGRES_URL=... (and its state) to ENV_FILE
#   scripts/postgres.sh stop ENV_FILE    stop the cluster of ENV_FILE and remove its data directory
#
# `source ENV_FILE` (or `set -a; . ENV_FILE`) exports the URL for the tests.
#
# HS_PG_DURABLE=1 (benchmarks): keep PostgreSQL's durable defaults (fsync, synchronous_commit,
# full_page_writes on), so that commit latencies are those of a real server.
set -euo pipefail

cmd=${1:-}
env_file=${2:-}
if [[ -z $cmd || -z $env_file ]]; then
  echo "usage: $0 start|stop ENV_FILE" >&2
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
  # fsync off: the cluster is thrown away; the durability of the product is not under test here.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if [[ ${HS_PG_DURABLE:-0} == 1 ]]; then durability=""; fi
  if ! as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=300" \
    start >/dev/null; then
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
EOF
  echo "postgres.sh: PostgreSQL $pg_version on 127.0.0.1:$port (data in $dir)$([[ -z $durability ]] && echo ", durable: fsync on")"
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

case $cmd in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop ENV_FILE" >&2
    exit 2
    ;;
esac
