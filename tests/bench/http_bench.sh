#!/usr/bin/env bash
# HTTP ingest -> workflow -> effect, side by side in one run, on this machine:
#   shopflow   `shopflow serve` on the order-processing bundle, default durability, file sink
#   node-red   Node-RED 4 (installed from npm here) running the equivalent flow
#   baseline   only the unavoidable work: HMAC, JSON parse, the same rows into SQLite, group commit
# Each gets the same signed Shopify order webhook from wrk at the same concurrency, with a fresh
# webhook id per request. Prints requests/s and latency percentiles, then the ratios.
#   tests/bench/http_bench.sh [SECONDS] [CONNECTIONS]      (defaults 15 s, 16 connections)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15} conns=${2:-16}
root=$PWD
work=$root/build/bench
mkdir -p "$work"
bundle=${BUNDLE:-$root/workflows/order-processing.json}
body=$root/tests/bench/order.json
secret=bench-secret

command -v wrk >/dev/null || cmake/setup.sh  # installs wrk with the rest
command -v wrk >/dev/null || { echo "http_bench: needs wrk (apt-get install wrk)"; exit 1; }
echo "== building the release preset"
cmake --preset release > "$work/configure.log" 2>&1
cmake --build --preset release -j"$(nproc)" --target shopflow shopflow_bench_baseline > "$work/build.log" 2>&1
if [ ! -f "$work/node-red/node_modules/node-red/red.js" ]; then
  echo "== installing node-red@4 from npm into $work/node-red"
  mkdir -p "$work/node-red"
  (cd "$work/node-red" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error node-red@4 >/dev/null)
fi
signature=$(openssl dgst -sha256 -hmac "$secret" -binary < "$body" | base64 -w0)

wait_port() { for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }
measure() {  # measure NAME PORT PID: warm-up, then the timed run; appends to results
  local name=$1 port=$2 pid=$3
  BENCH_BODY=$body BENCH_SIGNATURE=$signature BENCH_RUN="warm-$name" \
    wrk -t2 -c"$conns" -d3s -s tests/bench/webhook.lua "http://127.0.0.1:$port" > /dev/null
  local out rss
  out=$(BENCH_BODY=$body BENCH_SIGNATURE=$signature BENCH_RUN="run-$name" \
        wrk -t2 -c"$conns" -d"${secs}s" -s tests/bench/webhook.lua "http://127.0.0.1:$port" | grep '^RESULT')
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  echo "$name $out peak_rss_kb=$rss" >> "$work/results.txt"
  echo "   $name: $out peak_rss_kb=$rss"
}
: > "$work/results.txt"

echo "== shopflow serve ($secs s, $conns connections)"
rm -rf "$work/shopflow" && mkdir -p "$work/shopflow"
SHOPFLOW_SHOPIFY_SECRET=$secret build/release/runner/shopflow serve "$bundle" --db "$work/shopflow/store.db" \
  --listen 127.0.0.1:18181 2> "$work/shopflow/log.txt" &
pid=$!; wait_port 18181; measure shopflow 18181 $pid; kill $pid; wait $pid 2>/dev/null || true

echo "== node-red"
rm -rf "$work/nr-user" && mkdir -p "$work/nr-user"
node tests/bench/nodered_flow.mjs "$work/nr-user/flows.json" "$work/nr-user/effects.jsonl"
cat > "$work/nr-user/settings.js" <<JS
module.exports = { uiHost: "127.0.0.1", uiPort: 18182, httpAdminRoot: false, flowFile: "$work/nr-user/flows.json",
  logging: { console: { level: "warn" } }, editorTheme: { tours: false } };
JS
node "$work/node-red/node_modules/node-red/red.js" -u "$work/nr-user" -s "$work/nr-user/settings.js" > "$work/nr-user/log.txt" 2>&1 &
pid=$!; wait_port 18182; measure node-red 18182 $pid; kill $pid; wait $pid 2>/dev/null || true

echo "== baseline"
rm -rf "$work/baseline" && mkdir -p "$work/baseline"
build/release/tests/bench/shopflow_bench_baseline "$work/baseline/store.db" 18183 "$secret" > /dev/null &
pid=$!; wait_port 18183; measure baseline 18183 $pid; kill $pid; wait $pid 2>/dev/null || true

echo "== results"
awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } names[NR] = $1 }
  END {
    printf "%-10s %10s %9s %9s %9s %8s %12s\n", "system", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "peak RSS MB"
    for (n = 1; n <= NR; n++) { s = names[n]; rps[s] = v[s, "requests"] / (v[s, "duration_us"] / 1e6)
      printf "%-10s %10.0f %9.2f %9.2f %9.2f %8d %12.1f\n", s, rps[s], v[s, "p50_us"] / 1000, v[s, "p90_us"] / 1000,
             v[s, "p99_us"] / 1000, v[s, "errors"], v[s, "peak_rss_kb"] / 1024 }
    printf "\nshopflow / node-red throughput: %.1fx (target >= 10x)\n", rps["shopflow"] / rps["node-red"]
    printf "shopflow / baseline throughput: %.0f%% (target >= 50%%)\n", 100 * rps["shopflow"] / rps["baseline"]
    printf "p99 shopflow %.2f ms vs node-red %.2f ms\n", v["shopflow", "p99_us"] / 1000, v["node-red", "p99_us"] / 1000
  }' "$work/results.txt"
