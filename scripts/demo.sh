#!/usr/bin/env bash
# Installs what is missing, builds (release) and starts the demo: app + sevdesk sandbox + sample
# school. Prints the URL and login.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=${HS_DEMO_BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHS_BUILD_TESTS=OFF \
  -DHS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target hundeschule

exec "$build/apps/hundeschule/hundeschule" demo --listen "${HS_DEMO_LISTEN:-127.0.0.1:8080}" "$@"
