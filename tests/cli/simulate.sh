#!/usr/bin/env bash
# `shopflow simulate` as a user runs it: a summary of runs and effects from the bundle's
# samples or a JSONL file, a trace file, --until, the same hash twice, and usage errors.
# Usage: simulate.sh SHOPFLOW_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
expect() {  # expect NAME WANT_EXIT GOT_EXIT OUTPUT PATTERN...
  local name=$1 want=$2 got=$3 out=$4; shift 4
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, wanted $want"; echo "$out"; fails=$((fails+1)); return; fi
  for pat in "$@"; do
    if ! grep -qF -- "$pat" <<<"$out"; then echo "FAIL $name: output lacks '$pat'"; echo "$out"; fails=$((fails+1)); return; fi
  done
  echo "ok   $name"
}
ac="$src/workflows/abandoned-checkout.json"

out=$("$bin" simulate "$ac" --trace "$tmp/trace.json" 2>&1)
expect "samples: a summary by workflow and effect type" 0 $? "$out" \
  "Simulated 6 events" "remind-abandoned-checkout        3          1        0       0        2" \
  "email.send               3" "Trace hash: " "Trace written to"
grep -q '"resumed_by": "timeout"' "$tmp/trace.json" && grep -q '"verdict": false' "$tmp/trace.json" \
  && echo "ok   the trace has step outputs and verdicts" || { echo "FAIL trace content"; fails=$((fails+1)); }

h1=$("$bin" simulate "$ac" --hash); h2=$("$bin" simulate "$ac" --hash)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && echo "ok   the same trace hash twice ($h1)" || { echo "FAIL hashes $h1 / $h2"; fails=$((fails+1)); }

cat > "$tmp/events.jsonl" <<'JSONL'
{"id": "c-1", "type": "checkout.created", "time": "2026-04-01T08:00:00Z", "data": {"id": 1, "token": "t-1", "email": "a@example.com", "line_items": [], "total_price": "10.00"}}
{"id": "c-2", "type": "checkout.created", "time": "2026-04-01T08:10:00Z", "data": {"id": 2, "token": "t-2", "email": "b@example.com", "line_items": [], "total_price": "10.00"}}

{"id": "o-2", "type": "order.created", "time": "2026-04-01T09:00:00Z", "data": {"id": 9002, "checkout_token": "t-2", "total_price": "10.00"}}
JSONL
out=$("$bin" simulate "$ac" --events "$tmp/events.jsonl" --until 2026-04-01T13:00:00Z 2>&1)
expect "JSONL events up to --until: one reminder sent, one run still waiting" 0 $? "$out" \
  "Simulated 3 events from 2026-04-01T08:00:00Z to 2026-04-01T13:00:00Z" \
  "remind-abandoned-checkout        2          0        1       0        1" "email.send               1"

out=$("$bin" simulate "$src/workflows/inventory-reorder.json" --from 2026-03-02T00:00:00Z --until 2026-03-07T00:00:00Z 2>&1)
expect "a schedule fires every weekday" 0 $? "$out" "morning-reorder        5          5" "purchase_order.create    5"

printf '{"type": "checkout.created", "time": "2026-04-01T08:00:00Z"}\n{"type": 7}\n' > "$tmp/bad.jsonl"
out=$("$bin" simulate "$ac" --events "$tmp/bad.jsonl" 2>&1); expect "a bad event line is named" 2 $? "$out" "line 2"
out=$("$bin" simulate "$ac" --until tomorrow 2>&1); expect "a bad --until" 2 $? "$out" "is not a date-time"
out=$("$bin" simulate 2>&1); expect "no bundle given" 2 $? "$out" "which bundle?"
out=$("$bin" simulate --help 2>&1); expect "simulate --help" 0 $? "$out" "Usage: shopflow simulate"

echo "$fails failed"
[ $fails -eq 0 ]
