#!/usr/bin/env bash
# The transfer engine's queue beside graphile-worker, both with no-op jobs on the same durable
# throwaway PostgreSQL (fsync on): insert-to-start p50/p99 and jobs/s at a fixed concurrency,
# medians over ROUNDS rounds, and PASS/FAIL for "ahead of graphile-worker on both".
#
#   bench/run-queue-vs-graphile.sh            (after building hs_queue_bench, see below)
#
# Environment: BUILD_DIR (default build/rel-pg), JOBS (2000), CONCURRENCY (8), RATE (jobs/s added
# in the latency phase, 50: below both queues' capacity, so the figure is wake-up and claim, not
# queueing), ROUNDS (3), ASYNC_COMMIT=1 also runs the engine with synchronous_commit = off for its
# non-durable writes (diagnosis; not part of PASS/FAIL), BASELINE=path/to/an/older/hs_queue_bench
# also runs that binary's engine on the same server (before/after in one machine state).
# Build: cmake -S . -B build/rel-pg -G Ninja -DCMAKE_BUILD_TYPE=Release -DHS_BUILD_TESTS=OFF &&
#        cmake --build build/rel-pg -j2 --target hs_queue_bench
# Method and figures: docs/benchmarks.md "PostgreSQL and several processes".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/rel-pg}
jobs=${JOBS:-2000}
concurrency=${CONCURRENCY:-8}
rate=${RATE:-50}
rounds=${ROUNDS:-3}
bench=$build/bench/hs_queue_bench
if [[ ! -x $bench ]]; then
  echo "run-queue-vs-graphile.sh: $bench is missing; build it first:" >&2
  echo "  cmake -S . -B build/rel-pg -G Ninja -DCMAKE_BUILD_TYPE=Release -DHS_BUILD_TESTS=OFF" >&2
  echo "  cmake --build build/rel-pg -j2 --target hs_queue_bench" >&2
  exit 2
fi
command -v node >/dev/null || {
  echo "run-queue-vs-graphile.sh: node is missing (apt-get install nodejs npm)" >&2
  exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/hs-qvg.XXXXXX")
env_file=$work/pg.env
cleanup() {
  bash "$root/scripts/postgres.sh" stop "$env_file" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

HS_PG_DURABLE=1 bash "$root/scripts/postgres.sh" start "$env_file" >"$work/pg.log"
sed -n 1p "$work/pg.log"
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
export HS_BENCH_POSTGRES_URL=$HS_TEST_POSTGRES_URL
graphile_db=hs_graphile_bench
graphile_url=${HS_TEST_POSTGRES_URL%/*}/$graphile_db
/usr/lib/postgresql/15/bin/psql -q -h 127.0.0.1 -p "$HS_PG_PORT" -U postgres \
  -c "CREATE DATABASE $graphile_db" postgres

echo "installing graphile-worker (npm ci in bench/graphile) ..."
(cd "$root/bench/graphile" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

args=(--section noop --jobs "$jobs" --concurrency "$concurrency" --rate "$rate" --rounds "$rounds")
echo "== hundeschule transfer engine (no-op sevdesk gateway)"
"$bench" "${args[@]}" | tee "$work/engine.txt"
echo "== graphile-worker $(node -p 'require("'"$root"'/bench/graphile/node_modules/graphile-worker/package.json").version') (no-op task)"
(cd "$root/bench/graphile" &&
  DATABASE_URL=$graphile_url node bench.js --jobs "$jobs" --concurrency "$concurrency" \
    --rate "$rate" --rounds "$rounds") | tee "$work/graphile.txt"
if [[ -n ${BASELINE:-} ]]; then
  echo "== baseline: $BASELINE"
  "$BASELINE" "${args[@]}" | tee "$work/baseline.txt"
fi
if [[ ${ASYNC_COMMIT:-0} == 1 ]]; then
  echo "== hundeschule transfer engine, non-durable writes with synchronous_commit = off"
  "$bench" "${args[@]}" --pg-async-commit | tee "$work/engine-async.txt"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

field() { # FILE KEY -> value of KEY=... on the RESULT line
  sed -n 's/^RESULT .*[[:space:]]'"$2"'=\([^[:space:]]*\).*/\1/p' "$1" | tail -1
}
e50=$(field "$work/engine.txt" p50_ms)
e99=$(field "$work/engine.txt" p99_ms)
ejs=$(field "$work/engine.txt" jobs_per_s)
g50=$(field "$work/graphile.txt" p50_ms)
g99=$(field "$work/graphile.txt" p99_ms)
gjs=$(field "$work/graphile.txt" jobs_per_s)
echo
echo "no-op jobs on one PostgreSQL (fsync on), $jobs jobs, concurrency $concurrency, latency at" \
  "$rate jobs/s, medians of $rounds rounds"
awk -v e50="$e50" -v e99="$e99" -v ejs="$ejs" -v g50="$g50" -v g99="$g99" -v gjs="$gjs" 'BEGIN {
  printf "  %-26s %12s %16s\n", "", "engine", "graphile-worker"
  printf "  %-26s %9.2f ms %13.2f ms\n", "insert-to-start p50", e50, g50
  printf "  %-26s %9.2f ms %13.2f ms\n", "insert-to-start p99", e99, g99
  printf "  %-26s %12.1f %16.1f\n", "jobs/s", ejs, gjs
  lat = (e50 < g50 && e99 < g99); thr = (ejs > gjs)
  printf "  ahead on latency (p50 and p99 lower): %s\n", lat ? "PASS" : "FAIL"
  printf "  ahead on jobs/s:                      %s\n", thr ? "PASS" : "FAIL"
  printf "  target ahead of graphile-worker on both: %s\n", (lat && thr) ? "PASS" : "FAIL"
}'
if [[ -n ${BASELINE:-} ]]; then
  printf '  baseline engine: p50 %s ms, p99 %s ms, %s jobs/s\n' "$(field "$work/baseline.txt" p50_ms)" \
    "$(field "$work/baseline.txt" p99_ms)" "$(field "$work/baseline.txt" jobs_per_s)"
fi
