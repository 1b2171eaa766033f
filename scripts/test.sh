#!/usr/bin/env bash
# Installs what is missing, builds with ASan/UBSan and runs every test. Ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=${HS_TEST_BUILD_DIR:-build/test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHS_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

# A throwaway PostgreSQL on a loopback port for the tests that need one (they read
# HS_TEST_POSTGRES_URL); stopped and removed on every exit, quietly, so that ctest's summary
# stays the last output. HS_TEST_POSTGRES_URL set by the caller is used as it is.
if [[ -z ${HS_TEST_POSTGRES_URL:-} ]]; then
  pg_env="$build/pg.env"
  trap 'bash scripts/postgres.sh stop "$pg_env" >/dev/null 2>&1 || true' EXIT
  bash scripts/postgres.sh start "$pg_env" >/dev/null
  set -a
  # shellcheck disable=SC1090
  . "$pg_env"
  set +a
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2 --timeout 900
