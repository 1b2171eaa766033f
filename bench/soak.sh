#!/usr/bin/env bash
# The exactly-once soak of issue 12 (not run by CI): a 10,000-receipt backfill over 500 customers
# against the sevdesk sandbox with every fault (500s, time-outs, 429s, resets, writes applied and
# then closed without an answer on kept-alive connections, answers cut after their headers,
# errors in a 200), a 3 s search lag and binary floating-point rounding, while the app's processes
# are killed with SIGKILL: SQLite with one serve, PostgreSQL with one serve, PostgreSQL with two
# serve and one worker, and the PostgreSQL server itself crashing. Each setup ends with the
# exact-once checks; this script prints their counts and the kills per setup.
#
#   bash bench/soak.sh                    # all four setups (about an hour on 2 cores)
#   SOAK_RECEIPTS=2000 SOAK_KILLS=12 bash bench/soak.sh sqlite pg1   # smaller, a subset
#
# Setups: sqlite, pg1, pg3, pgserver. Builds a Release build with tests in build/soak.
set -euo pipefail
cd "$(dirname "$0")/.."
receipts=${SOAK_RECEIPTS:-10000}
customers=${SOAK_CUSTOMERS:-500}
kills=${SOAK_KILLS:-17}
server_crashes=${SOAK_SERVER_CRASHES:-5}
lag_ms=${SOAK_SEARCH_LAG_MS:-3000}
setups=("$@")
((${#setups[@]})) || setups=(sqlite pg1 pg3 pgserver)

bash scripts/install-deps.sh >/dev/null
build=build/soak
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHS_SANITIZE=OFF -DHS_BUILD_BENCH=OFF \
  >/dev/null
cmake --build "$build" -j"$(nproc)" --target hundeschule crash_transfer_test crash_pg_transfer_test \
  crash_pg_server_test >/dev/null

pg_env="$build/pg.env"
trap 'bash scripts/postgres.sh stop "$pg_env" >/dev/null 2>&1 || true' EXIT
bash scripts/postgres.sh start "$pg_env" >/dev/null
set -a
# shellcheck disable=SC1090
. "$pg_env"
set +a

export HS_CRASH_CUSTOMERS=$customers HS_CRASH_SEARCH_LAG_MS=$lag_ms HS_CRASH_BATCH_TIMEOUT_S=7200
logs="$build/soak-logs"
mkdir -p "$logs"

run_setup() {
  local name=$1 log="$logs/$1.log" status=0
  case $name in
    sqlite)
      HS_CRASH_RECEIPTS=$receipts HS_CRASH_KILLS=$kills \
        "$build/tests/crash/crash_transfer_test" >"$log" 2>&1 || status=$? ;;
    pg1)
      HS_CRASH_PG_PROCESSES=1 HS_CRASH_PG_RECEIPTS=$receipts HS_CRASH_PG_KILLS=$kills \
        "$build/tests/crash/crash_pg_transfer_test" >"$log" 2>&1 || status=$? ;;
    pg3)
      HS_CRASH_PG_PROCESSES=3 HS_CRASH_PG_RECEIPTS=$receipts HS_CRASH_PG_KILLS=$kills \
        "$build/tests/crash/crash_pg_transfer_test" >"$log" 2>&1 || status=$? ;;
    pgserver)
      HS_CRASH_PG_SERVER_RECEIPTS=$receipts HS_CRASH_PG_SERVER_CRASHES=$server_crashes \
        "$build/tests/crash/crash_pg_server_test" >"$log" 2>&1 || status=$? ;;
    *) echo "unknown setup $name" >&2; return 2 ;;
  esac
  local app_kills server_restarts verify
  app_kills=$(grep -c '\] kill [0-9]' "$log" || true)
  server_restarts=$(grep -c '\] crash [0-9]' "$log" || true)
  verify=$(grep -a '^\[verify\]' "$log" | tail -1 || true)
  printf '%-9s %s; SIGKILLs %s, PostgreSQL server crashes %s; %s\n' "$name" \
    "$([[ $status == 0 ]] && echo PASS || echo "FAIL ($log)")" "$app_kills" "$server_restarts" \
    "${verify:-[verify] no result}"
  return "$status"
}

echo "soak: $receipts receipts, $customers customers, search lag $lag_ms ms, setups: ${setups[*]}"
failed=0
total_kills=0
for s in "${setups[@]}"; do
  run_setup "$s" || failed=1
  total_kills=$((total_kills + $(grep -c '\] kill [0-9]' "$logs/$s.log" || true)))
done
echo "soak: $total_kills SIGKILLs in all; $([[ $failed == 0 ]] && echo PASS || echo FAIL)"
exit "$failed"
