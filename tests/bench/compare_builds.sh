#!/usr/bin/env bash
# Two builds of `shopflow serve` on SQLite, side by side in one run: the same signed Shopify
# order webhook from wrk (a fresh webhook id per request) at the same concurrency, the builds
# taking turns (A B A B ...), so that a change's cost shows against the build before it on the
# same machine at the same time. Prints requests/s and latency percentiles per round, the
# medians, and the ratio B / A.
#   tests/bench/compare_builds.sh OLD_SHOPFLOW NEW_SHOPFLOW [SECONDS] [CONNECTIONS] [ROUNDS]
#   (defaults 10 s, 16 connections, 3 rounds; the bundle is workflows/order-processing.json
#   unless BUNDLE names another)
# Build the old one from its commit, e.g.:
#   git worktree add /tmp/old REV && (cd /tmp/old && cmake --preset release &&
#     cmake --build --preset release --target shopflow)
set -euo pipefail
case "${1:-}" in -h|--help|"") sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0;; esac
old=$(realpath "$1") new=$(realpath "$2")
secs=${3:-10} conns=${4:-16} rounds=${5:-3}
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/build/bench/compare
mkdir -p "$work"
bundle=${BUNDLE:-$root/workflows/order-processing.json}
body=$root/tests/bench/order.json
secret=bench-secret
command -v wrk >/dev/null || { echo "compare_builds: needs wrk (cmake/setup.sh installs it)"; exit 1; }
for b in "$old" "$new"; do [ -x "$b" ] || { echo "compare_builds: $b is not an executable"; exit 2; }; done
signature=$(openssl dgst -sha256 -hmac "$secret" -binary < "$body" | base64 -w0)

wait_port() { for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }
run_one() {  # run_one NAME BINARY ROUND: a fresh store, a warm-up, then the timed run
  local name=$1 bin=$2 round=$3 port=18191 dir="$work/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  SHOPFLOW_SHOPIFY_SECRET=$secret "$bin" serve "$bundle" --db "$dir/store.db" --listen 127.0.0.1:$port 2> "$dir/log.txt" &
  local pid=$!
  wait_port $port
  BENCH_BODY=$body BENCH_SIGNATURE=$signature BENCH_RUN="warm-$name-$round" \
    wrk -t2 -c"$conns" -d3s -s tests/bench/webhook.lua "http://127.0.0.1:$port" > /dev/null
  local out
  out=$(BENCH_BODY=$body BENCH_SIGNATURE=$signature BENCH_RUN="run-$name-$round" \
        wrk -t2 -c"$conns" -d"${secs}s" -s tests/bench/webhook.lua "http://127.0.0.1:$port" | grep '^RESULT')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$name $out" >> "$work/results.txt"
  echo "   round $round $name: $out"
}
: > "$work/results.txt"
echo "== A: $old"
echo "== B: $new"
for r in $(seq 1 "$rounds"); do
  run_one A "$old" "$r"
  run_one B "$new" "$r"
done
echo "== results (medians over $rounds rounds, $secs s each, $conns connections)"
awk '
  function median(list, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (list[j] < list[i]) { t = list[i]; list[i] = list[j]; list[j] = t }
    return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  { s = $1; n[s]++; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    rps[s, n[s]] = v["requests"] / (v["duration_us"] / 1e6); p50[s, n[s]] = v["p50_us"] / 1000; p99[s, n[s]] = v["p99_us"] / 1000 }
  END {
    printf "%-6s %10s %9s %9s\n", "build", "req/s", "p50 ms", "p99 ms"
    for (k = 1; k <= 2; k++) { s = k == 1 ? "A" : "B"
      for (i = 1; i <= n[s]; i++) { a[i] = rps[s, i]; b[i] = p50[s, i]; c[i] = p99[s, i] }
      m[s] = median(a, n[s]); printf "%-6s %10.0f %9.2f %9.2f\n", s, m[s], median(b, n[s]), median(c, n[s]) }
    printf "\nB / A throughput: %.2f\n", m["B"] / m["A"]
  }' "$work/results.txt"
