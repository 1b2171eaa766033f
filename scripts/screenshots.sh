#!/usr/bin/env bash
# Refreshes docs/screenshots/ by running the browser tests with the screenshots written there.
# A separate command on purpose: the test suite (scripts/test.sh, .ci/run) writes its screenshots
# to the build folder and never changes tracked files. Needs a built test tree (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${HS_TEST_BUILD_DIR:-build/test}
binary="$build/apps/hundeschule/hundeschule"
if [[ ! -x $binary ]]; then
  echo "screenshots: $binary is missing; build first (bash scripts/test.sh)" >&2
  exit 2
fi
cd tests/browser
HS_BINARY="$(cd ../.. && pwd)/$binary" HS_SCREENSHOT_DIR="$(cd ../.. && pwd)/docs/screenshots" \
  node --test tests/ui.test.js tests/matching.test.js
echo "screenshots: docs/screenshots/ refreshed; review with git diff --stat docs/screenshots"
