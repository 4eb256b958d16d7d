#!/usr/bin/env bash
# The simulator's speed, native and WebAssembly side by side in one run: events per second for
# `simulate` on a 100,000-event order stream through a workflow of a condition, a template and
# two effects, and the peak memory of each process. Native and WebAssembly run in turn, twice;
# prints the better figures and the WASM/native ratio, then times the `shopflow simulate` command
# itself on the same bundle and stream (three runs).
# The trace is built and hashed as `shopflow simulate` does without --trace (pass --trace FILE to
# build/*/tests/shopflow_bench_simulate to time writing it too). Also prints, as a floor, how fast
# the store alone writes the same rows (run and effect rows per event) with nothing else.
#   tests/bench/simulate_bench.sh [EVENTS]      (default 100000)
# Builds the release preset (native: the benchmark and shopflow) and the wasm preset's benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-100000}
work=build/bench
mkdir -p "$work"
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

echo "== building shopflow_bench_simulate (release, native and wasm)"
cmake --preset release > "$work/sim-configure.log" 2>&1
cmake --build --preset release -j"$(nproc)" --target shopflow_bench_simulate shopflow > "$work/sim-build.log" 2>&1
cmake --preset wasm > "$work/sim-configure-wasm.log" 2>&1
cmake --build --preset wasm -j"$(nproc)" --target shopflow_bench_simulate > "$work/sim-build-wasm.log" 2>&1

# Runs a command, prints its output, then its peak resident memory (the child's max RSS).
run() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
sys.stdout.write(out)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak RSS of the process (Node and the store-alone run included): {rss / 1024:.1f} MB")
PY
}

# Native and WebAssembly take turns, twice, and each row keeps its best run: the machine's speed
# drifts over minutes, and a ratio of two runs minutes apart would measure the drift.
native="" wasm=""
for turn in 1 2; do
  echo "== native, run $turn"
  out=$(run build/release/tests/shopflow_bench_simulate "$events")
  echo "$out"
  native+="$out"$'\n'
  echo "== wasm (node $(node --version)), run $turn"
  out=$(run node --no-experimental-fetch build/wasm/tests/shopflow_bench_simulate.js "$events")
  echo "$out"
  wasm+="$out"$'\n'
done

rate() { grep "^simulate ($1" <<<"$2" | sed -E 's/.* = ([0-9]+) events\/s.*/\1/' | sort -n | tail -1; }
echo "== results ($events events, the better of two runs each)"
for kind in lean full parse; do
  n=$(rate "$kind" "$native") w=$(rate "$kind" "$wasm")
  label=$([ "$kind" = parse ] && echo "parse + full trace" || echo "$kind trace")
  awk -v k="$label" -v n="$n" -v w="$w" 'BEGIN {
    printf "%-18s native %8d events/s, wasm %8d events/s, wasm takes %.2fx native time (target <= 2x)\n", k, n, w, n / w }'
done
grep "^store alone" <<<"$native" | sed 's/^/native /'
mem() { grep "^peak memory before" <<<"$1" | sed -E 's/.*: ([0-9.]+ MB)/\1/' | sort -n | tail -1; }
echo "peak memory of the simulations: native $(mem "$native") (max RSS), wasm $(mem "$wasm") (WebAssembly memory)"

echo "== the shopflow simulate command on the same bundle and stream (wall time, file read and bundle load included)"
build/release/tests/shopflow_bench_simulate "$events" --inputs "$work"
python3 - "$events" build/release/runner/shopflow simulate "$work/bench.json" --events "$work/orders.jsonl" <<'PY'
import os, subprocess, sys, time
events, cmd = int(sys.argv[1]), sys.argv[2:]
runs = []
for _ in range(3):
    start = time.monotonic()
    pid = subprocess.Popen(cmd, stdout=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    if status != 0:
        sys.exit(f"shopflow simulate failed (status {status})")
    runs.append((wall, usage.ru_maxrss / 1024))
for wall, rss in runs:
    print(f"shopflow simulate: {events} events in {wall:.2f} s = {events / wall:.0f} events/s, peak RSS {rss:.1f} MB")
best = min(w for w, _ in runs)
print(f"best of three: {events / best:.0f} events/s")
PY
echo "target: >= 100000 events/s natively for this workflow"
