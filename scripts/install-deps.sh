#!/usr/bin/env bash
# Installs every Debian package the project needs (build, tests, demo). Idempotent; run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcpp-httplib-dev nlohmann-json3-dev libsqlite3-dev libsodium-dev libexpected-dev
  libhpdf-dev libcurl4-openssl-dev libcli11-dev libfmt-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev
  fonts-dejavu-core poppler-utils clang-format curl chromium
  libpq-dev postgresql-15 libhowardhinnant-date-dev tzdata
  # E-invoice validation (tests/einvoice): xmllint for the CII schema, Saxon-HE on a JRE for
  # the EN 16931 and XRechnung rules in ../shared/einvoice.
  libxml2-utils libsaxonhe-java default-jre-headless
  # Factur-X PDF/A-3 (ADR 0017): qpdf edits the rendered PDF, the sRGB ICC profile becomes its
  # output intent; the qpdf tool checks the result in tests/einvoice; fonttools reduces DejaVu
  # to Windows-1252 for the embedded fonts (scripts/make-pdfa-fonts.py, run by the build).
  libqpdf-dev qpdf icc-profiles-free fonttools
  # Received e-invoices (src/einvoice/cii_reader.cpp) are parsed with libxml2.
  libxml2-dev
)
# Browser tests: node and npm from Debian, unless a node with npm is installed already.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# playwright-core for the browser tests, exactly as recorded in the lock file.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [[ ! -f "$browser_dir/node_modules/playwright-core/package.json" ]]; then
  echo "install-deps: npm ci in tests/browser"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
