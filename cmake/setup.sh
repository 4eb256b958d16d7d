#!/usr/bin/env bash
# Installs what Shopflow's build, tests and demo need on a Debian bookworm machine, and does
# nothing when everything is there already. Run as root to let it install; otherwise it
# prints the exact command to run and stops.
#   cmake/setup.sh            Debian packages, the deb-src entry, npm packages for the browser tests
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  g++ cmake make pkg-config nlohmann-json3-dev libsimdjson-dev libxxhash-dev sqlite3 doctest-dev libmicrohttpd-dev libssl-dev
  libhowardhinnant-date-dev tzdata libcurl4-openssl-dev libmimalloc-dev emscripten nodejs npm tcl chromium clang libclang-rt-14-dev xz-utils curl ca-certificates
  prometheus  # promtool checks /metrics in the runner tests
  wrk         # the load generator of tests/bench/http_bench.sh
  nginx       # the HTTPS reverse proxy of workflows/deploy/nginx-shopflow.conf, which tests/serve runs
  xxhash      # xxhsum, which checks the trace hash in the CLI tests
  postgresql-15 libpq-dev  # the PostgreSQL store (libpq) and the throwaway server of tests/support/pg_temp.sh
  fonts-inter fonts-jetbrains-mono  # the studio's UI and code fonts, packed into its page data
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js may come from elsewhere than Debian; what matters is that node and npm run.
if command -v node >/dev/null && command -v npm >/dev/null; then
  kept=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || kept+=("$p"); done; missing=("${kept[@]}")
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else
    echo "setup: this needs root. Run:  sudo $*" >&2; exit 1
  fi
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The build compiles SQLite (and, for WebAssembly, Dear ImGui and simdjson) from Debian's source
# packages, which APT fetches only with a deb-src entry (cmake/DebianSource.cmake caches the
# download).
cache="${SHOPFLOW_SOURCE_CACHE:-$HOME/.cache/shopflow/debian-src}"
if [ ! -f "$cache/imgui/.unpacked" ] || [ ! -f "$cache/sqlite3/.unpacked" ] || [ ! -f "$cache/simdjson/.unpacked" ] || [ ! -f "$cache/howardhinnant-date/.unpacked" ]; then
  if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    src=/etc/apt/sources.list.d/debian.sources
    if [ ! -f "$src" ]; then
      echo "setup: no $src to copy a deb-src entry from; add deb-src lines for bookworm main by hand" >&2; exit 1
    fi
    echo "setup: adding a deb-src entry (for Debian's imgui, sqlite3, simdjson and howardhinnant-date source packages)"
    if [ "$(id -u)" -ne 0 ]; then
      echo "setup: this needs root. Run:  sed 's/^Types: deb\$/Types: deb-src/' $src | sudo tee /etc/apt/sources.list.d/debian-src.sources && sudo apt-get update" >&2
      exit 1
    fi
    sed 's/^Types: deb$/Types: deb-src/' "$src" > /etc/apt/sources.list.d/debian-src.sources
    apt-get update -qq
  fi
fi

# playwright-core drives Debian's Chromium in the browser tests (never its own download).
if [ ! -d "$here/tests/browser/node_modules/playwright-core" ]; then
  echo "setup: installing npm packages for the browser tests"
  (cd "$here/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
