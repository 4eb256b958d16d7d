#!/usr/bin/env bash
# Several runners on one PostgreSQL against one runner on SQLite, side by side in one run, on
# this machine: `shopflow serve` on the order-processing bundle (file sink per runner), fed the
# same signed Shopify order webhook by wrk (tests/bench/webhook.lua, a fresh webhook id per
# request), the connections spread evenly over the runners. For each setup it prints
#   ack/s     webhooks acknowledged (202, committed) per second
#   p50, p99  acknowledgement latency (with several runners: the median of their medians and
#             the worst of their p99s)
#   runs/s    events run to the end per second, from the first request until every runner's
#             inbox is empty (what the runners keep up with, not only what they take in)
# PostgreSQL is a throwaway cluster (tests/support/pg_temp.sh), one fresh database per setup.
#   tests/bench/cluster_bench.sh [SECONDS] [CONNECTIONS]      (defaults 10 s, 24 connections)
#   SHOPFLOW_BIN=build/native/runner/shopflow tests/bench/cluster_bench.sh   (skips the release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10} conns=${2:-24}
root=$PWD
work=$root/build/bench/cluster
mkdir -p "$work"
bundle=${BUNDLE:-$root/workflows/order-processing.json}
body=$root/tests/bench/order.json
secret=bench-secret

command -v wrk >/dev/null || { echo "cluster_bench: needs wrk (cmake/setup.sh installs it)"; exit 1; }
command -v psql >/dev/null || { echo "cluster_bench: needs psql (cmake/setup.sh installs postgresql-15)"; exit 1; }
bin=${SHOPFLOW_BIN:-}
if [ -z "$bin" ]; then
  echo "== building the release preset"
  cmake --preset release > "$work/configure.log" 2>&1
  cmake --build --preset release -j"$(nproc)" --target shopflow > "$work/build.log" 2>&1
  bin=build/release/runner/shopflow
fi
bin=$(realpath "$bin")
signature=$(openssl dgst -sha256 -hmac "$secret" -binary < "$body" | base64 -w0)

pg_dir=""
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "$pg_dir" ] || bash tests/support/pg_temp.sh destroy "$pg_dir"
}
trap cleanup EXIT
echo "== starting a throwaway PostgreSQL 15"
eval "$(bash tests/support/pg_temp.sh start | sed 's/^/export /')"
pg_dir=$SHOPFLOW_PG_DIR
admin_url=$SHOPFLOW_TEST_PG

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 400); do curl -s -o /dev/null "http://127.0.0.1:$1/healthz" && return 0; sleep 0.05; done; return 1; }
pending() {  # committed events not yet run, summed over the runners
  local sum=0 p v
  for p in "$@"; do
    v=$(curl -s "http://127.0.0.1:$p/metrics" | awk '$1 == "shopflow_inbox_pending" {print int($2)}')
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

: > "$work/results.txt"
# bench NAME DB RUNNERS: starts the runners on DB, loads them, waits for the inbox to drain.
bench() {
  local name=$1 db=$2 n=$3 ports=() i
  pids=()
  rm -rf "${work:?}/$name" && mkdir -p "$work/$name"
  for i in $(seq 1 "$n"); do
    local port; port=$(free_port)
    mkdir -p "$work/$name/runner$i"
    (cd "$work/$name/runner$i" && SHOPFLOW_SHOPIFY_SECRET=$secret exec "$bin" serve "$bundle" --db "$db" \
      --listen "127.0.0.1:$port" 2> log.txt) &
    pids+=($!); ports+=("$port")
  done
  for port in "${ports[@]}"; do wait_port "$port" || { echo "a runner did not start"; cat "$work/$name"/runner*/log.txt; exit 1; }; done
  # Warm-up, then the timed run: one wrk per runner, the connections shared out.
  local per=$(( (conns + n - 1) / n )) start_ns end_ns loads=()
  for port in "${ports[@]}"; do
    BENCH_BODY=$body BENCH_SIGNATURE=$signature BENCH_RUN="warm-$name-$port" \
      wrk -t1 -c"$per" -d2s -s tests/bench/webhook.lua "http://127.0.0.1:$port" > /dev/null &
    loads+=($!)
  done
  wait "${loads[@]}"
  while [ "$(pending "${ports[@]}")" -gt 0 ]; do sleep 0.2; done
  start_ns=$(date +%s%N) loads=()
  for port in "${ports[@]}"; do
    BENCH_BODY=$body BENCH_SIGNATURE=$signature BENCH_RUN="run-$name-$port" \
      wrk -t1 -c"$per" -d"${secs}s" -s tests/bench/webhook.lua "http://127.0.0.1:$port" | grep '^RESULT' \
      > "$work/$name/wrk-$port.txt" &
    loads+=($!)
  done
  wait "${loads[@]}"
  while [ "$(pending "${ports[@]}")" -gt 0 ]; do sleep 0.1; done
  end_ns=$(date +%s%N)
  cat "$work/$name"/wrk-*.txt | awk -v name="$name" -v ms=$(( (end_ns - start_ns) / 1000000 )) '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] } }
    END {
      for (r = 1; r <= NR; r++) { req += v[r, "requests"]; err += v[r, "errors"]; dur = v[r, "duration_us"] > dur ? v[r, "duration_us"] : dur
        p50[r] = v[r, "p50_us"]; if (v[r, "p99_us"] > p99) p99 = v[r, "p99_us"] }
      for (i = 2; i <= NR; i++) for (j = i; j > 1 && p50[j - 1] > p50[j]; j--) { x = p50[j]; p50[j] = p50[j - 1]; p50[j - 1] = x }
      med = (NR % 2) ? p50[(NR + 1) / 2] : (p50[NR / 2] + p50[NR / 2 + 1]) / 2
      printf "%s requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d drained_ms=%d\n", name, req, err, dur, med, p99, ms
    }' >> "$work/results.txt"
  tail -1 "$work/results.txt" | sed 's/^/   /'
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

echo "== sqlite, 1 runner ($secs s, $conns connections)"
bench sqlite-1 "$work/sqlite-1.db" 1
rm -f "$work"/sqlite-1.db*
for n in 1 2 3; do
  echo "== postgresql, $n runner(s) ($secs s, $conns connections)"
  PGOPTIONS=--client-min-messages=warning psql -q "$admin_url" -c "DROP DATABASE IF EXISTS bench_$n" -c "CREATE DATABASE bench_$n" >/dev/null
  bench "postgres-$n" "${admin_url%/*}/bench_$n" "$n"
done

echo "== results"
awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } names[NR] = $1 }
  END {
    printf "%-12s %10s %9s %9s %10s %8s\n", "setup", "ack/s", "p50 ms", "p99 ms", "runs/s", "errors"
    for (n = 1; n <= NR; n++) { s = names[n]
      printf "%-12s %10.0f %9.2f %9.2f %10.0f %8d\n", s, v[s, "requests"] / (v[s, "duration_us"] / 1e6), v[s, "p50_us"] / 1000,
             v[s, "p99_us"] / 1000, v[s, "requests"] / (v[s, "drained_ms"] / 1000), v[s, "errors"] }
  }' "$work/results.txt"
