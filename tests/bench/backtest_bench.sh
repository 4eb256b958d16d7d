#!/usr/bin/env bash
# The backtest's speed: `shopflow backtest` of the bundle production ran over a store of
# EVENTS recorded events (default 1,000,000) with their runs, step records and effects, against
# the target of 10 s. The store is made first by an engine on the store file, fed as the runner
# feeds it (group commits of 1,000 events). In the same run, as baselines on the same machine:
# `shopflow simulate` over the same events from a JSON Lines file (the simulation alone, no
# store to read, nothing to compare), and `shopflow export-events` (reading the events alone).
# Prints each time and the peak memory of each command, and how the backtest's CPU time splits
# between its two threads (simulating and comparing; reading production).
#   tests/bench/backtest_bench.sh [EVENTS]
# Builds the release preset (shopflow and the store maker). Not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
events=${1:-1000000}
work=build/bench/backtest
mkdir -p "$work"

echo "== building shopflow and shopflow_bench_backtest_store (release)"
cmake --preset release > "$work/configure.log" 2>&1
cmake --build --preset release -j"$(nproc)" --target shopflow shopflow_bench_backtest_store > "$work/build.log" 2>&1
bin=build/release/runner/shopflow

echo "== making a production store of $events events"
build/release/tests/shopflow_bench_backtest_store "$work" "$events"
ls -l "$work/store.db" | awk '{ printf "store: %.0f MB\n", $5 / 1048576 }'

# Runs a command, keeps its stdout in $work/NAME.out and its stderr in $work/NAME.err, prints
# its wall time and peak memory.
timed() {
  local name=$1
  shift
  python3 - "$work/$name.out" "$work/$name.err" "$@" <<'PY'
import os, subprocess, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(out, 'wb') as f, open(err, 'wb') as e:
    p = subprocess.Popen(cmd, stdout=f, stderr=e)
    _, status, ru = os.wait4(p.pid, 0)
secs = time.monotonic() - t
rc = os.waitstatus_to_exitcode(status)
# CPU time too: on a machine shared with other work the wall time says little on its own.
print(f"{secs:6.2f} s wall, {ru.ru_utime + ru.ru_stime:6.2f} s CPU, peak {ru.ru_maxrss / 1024:5.0f} MB, exit {rc}:  {' '.join(cmd[1:2])}")
PY
}

echo "== timing (each command once; the store is in the page cache after the first)"
timed export "$bin" export-events --db "$work/store.db"
timed backtest "$bin" backtest "$work/bench.json" --db "$work/store.db"
timed simulate "$bin" simulate "$work/bench.json" --events "$work/events.jsonl"
echo
echo "== where the backtest's CPU time went (its last line on stderr)"
tail -n 1 "$work/backtest.err"
echo
echo "== the backtest's report"
cat "$work/backtest.out"
