#!/usr/bin/env bash
# The test command: installs what is missing (cmake/setup.sh), builds the WebAssembly and the
# native presets, and runs every test through CTest (native unit and conformance tests, the
# same core tests as WebAssembly under Node, the command-line tests, the studio in headless
# Chromium, each fuzz target for a few seconds). Ends with CTest's summary line; exits
# non-zero when anything fails.
# Build logs go to build/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
case "${1:-}" in -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0;; esac

cmake/setup.sh
export NODE_PATH=/usr/share/nodejs   # Emscripten's linker needs Debian's node modules (acorn)
mkdir -p build/logs

step() {  # step NAME COMMAND...: runs quietly into build/logs/NAME.log; shows the log on failure
  local name=$1; shift
  local start=$SECONDS
  printf '== %-16s' "$name"
  if "$@" > "build/logs/$name.log" 2>&1; then
    echo " ok ($((SECONDS - start)) s)"
  else
    echo " FAILED; last lines of build/logs/$name.log:"
    tail -n 40 "build/logs/$name.log"
    exit 1
  fi
}

step configure-wasm cmake --preset wasm
step build-wasm cmake --build --preset wasm -j"$jobs"
step configure-fuzz cmake --preset fuzz
step build-fuzz cmake --build --preset fuzz -j"$jobs"
step configure-native cmake --preset native -DSHOPFLOW_WASM_BUILD_DIR=build/wasm -DSHOPFLOW_FUZZ_BUILD_DIR=build/fuzz
step build-native cmake --build --preset native -j"$jobs"
if grep -E ': warning:' build/logs/build-native.log build/logs/build-wasm.log build/logs/build-fuzz.log | grep -v '/\.cache/' ; then
  echo "warning: the build printed warnings (above); the build is kept warning-free"
fi
echo "== tests"
ctest --preset native
