#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, starting from the committed seeds and the
# corpus grown by earlier runs. Fails on any crash, sanitizer report, leak or hang.
# Usage: run.sh FUZZER SEED_DIR WORK_CORPUS_DIR SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 corpus=$3 seconds=$4
if [ ! -x "$fuzzer" ]; then echo "no fuzz target at $fuzzer (build the fuzz preset)"; exit 1; fi
mkdir -p "$corpus" "$corpus.artifacts"
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
      -artifact_prefix="$corpus.artifacts/" "$corpus")
[ -d "$seeds" ] && args+=("$seeds")
log="$corpus.log"
rc=0
"$fuzzer" "${args[@]}" > "$log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
  echo "$(basename "$fuzzer") FAILED (exit $rc); the end of its log ($log):"
  tail -n 60 "$log"
  exit 1
fi
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
echo "$(basename "$fuzzer"): no crash, leak or hang in ${seconds} s"
