#!/usr/bin/env bash
# Installs what is missing, builds with ASan/UBSan and runs every test. Ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=${HS_TEST_BUILD_DIR:-build/test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHS_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

bash scripts/format.sh --check

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2 --timeout 900
