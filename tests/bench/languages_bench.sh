#!/usr/bin/env bash
# The languages' speed, native and WebAssembly side by side in one run: JSON Logic conditions
# evaluated per second and Liquid templates rendered per second on a Shopify-shaped order
# (tests/bench/order.json), each compiled once and run many times. Prints the WASM/native ratio.
#   tests/bench/languages_bench.sh [SECONDS]      (default 3 s per measurement)
# Builds the release preset (native) and the wasm preset's benchmark target as needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
secs=${1:-3}
work=build/bench
mkdir -p "$work"
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}

echo "== building shopflow_bench_languages (release, native and wasm)"
cmake --preset release > "$work/lang-configure.log" 2>&1
cmake --build --preset release -j"$(nproc)" --target shopflow_bench_languages > "$work/lang-build.log" 2>&1
cmake --preset wasm > "$work/lang-configure-wasm.log" 2>&1
cmake --build --preset wasm -j"$(nproc)" --target shopflow_bench_languages > "$work/lang-build-wasm.log" 2>&1

echo "== native"
native=$(build/release/tests/shopflow_bench_languages tests/bench/order.json "$secs")
echo "$native"
echo "== wasm (node $(node --version))"
wasm=$(node --no-experimental-fetch build/wasm/tests/shopflow_bench_languages.js tests/bench/order.json "$secs")
echo "$wasm"

rate() { grep "^$1" <<<"$2" | sed -E 's/.* = ([0-9]+) per second.*/\1/'; }
echo "== results"
for what in "conditions evaluated" "templates rendered"; do
  n=$(rate "$what" "$native") w=$(rate "$what" "$wasm")
  awk -v k="$what" -v n="$n" -v w="$w" 'BEGIN {
    printf "%-21s native %9d/s, wasm %9d/s, wasm takes %.2fx native time\n", k, n, w, n / w }'
done
