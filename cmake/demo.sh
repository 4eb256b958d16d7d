#!/usr/bin/env bash
# The main job, for a first look: installs what is missing (cmake/setup.sh), builds the runner
# and the studio, then runs the runner on the order-processing example bundle with its
# embedded SQLite store (build/demo/shopflow.db) and serves the studio from the same process.
#   PORT=9000 cmake/demo.sh    another port (default 8080); BUNDLE=path another bundle
# Open http://127.0.0.1:$PORT/ ; stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0;; esac
port=${PORT:-8080}
bundle=${BUNDLE:-workflows/order-processing.json}
jobs=$(nproc 2>/dev/null || echo 2)

cmake/setup.sh
export NODE_PATH=/usr/share/nodejs   # Emscripten's linker needs Debian's node modules (acorn)
mkdir -p build/logs build/demo
build() {
  local name=$1; shift
  printf '== %-16s' "$name"
  if "$@" > "build/logs/$name.log" 2>&1; then echo " ok"; else
    echo " FAILED; last lines of build/logs/$name.log:"; tail -n 40 "build/logs/$name.log"; exit 1
  fi
}
build configure-wasm cmake --preset wasm
build build-wasm cmake --build --preset wasm -j"$jobs" --target studio
build configure-native cmake --preset native -DSHOPFLOW_WASM_BUILD_DIR=build/wasm
build build-native cmake --build --preset native -j"$jobs" --target shopflow

build/native/runner/shopflow validate "$bundle"
cat <<EOF
== Shopflow is running (Ctrl-C stops)
   studio       http://127.0.0.1:$port/
   health       http://127.0.0.1:$port/healthz   metrics http://127.0.0.1:$port/metrics
   send events  cmake/send-samples.sh $bundle http://127.0.0.1:$port
   effects      build/demo/effects.jsonl ; runs: build/native/runner/shopflow runs --db build/demo/shopflow.db
EOF
exec build/native/runner/shopflow serve "$bundle" --db build/demo/shopflow.db --listen "127.0.0.1:$port" \
  --studio build/wasm/web/site
