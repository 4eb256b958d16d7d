#!/usr/bin/env bash
# `shopflow simulate` as a user runs it: a summary of runs and effects from the bundle's
# samples or a JSONL file, a trace file, --until, the same hash twice, and usage errors.
# Usage: simulate.sh SHOPFLOW_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
source "$(dirname "$0")/lib/expect.sh"
ac="$src/workflows/abandoned-checkout.json"

out=$("$bin" simulate "$ac" --trace "$tmp/trace.json" 2>&1)
expect "samples: a summary by workflow and effect type" 0 $? "$out" \
  "Simulated 8 events" "remind-abandoned-checkout        4          1        0       0        3" \
  "email.send               3" "Trace hash: " "Trace written to"
check "the trace has step outputs and verdicts" \
  bash -c "grep -q '\"resumed_by\":\"timeout\"' '$tmp/trace.json' && grep -q '\"verdict\":false' '$tmp/trace.json'"

hash=$(sed -n 's/^Trace hash: //p' <<<"$out")
check "the trace file's bytes have the printed hash ($hash), as xxhsum -H3 computes it" \
  test "$(head -c -1 "$tmp/trace.json" | xxhsum -H3 | awk '{print $NF}')" = "$hash"

h1=$("$bin" simulate "$ac" --hash); h2=$("$bin" simulate "$ac" --hash)
check "the same trace hash twice ($h1, $h2)" test -n "$h1" -a "$h1" = "$h2"

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

# A longer file: read while it is simulated when its lines are in time order; shuffled, it is
# sorted first. Both give the same trace (no two events share a time, so the order is one).
awk 'BEGIN { for (i = 0; i < 3000; i++) {
  t = sprintf("2026-04-%02dT%02d:%02d:00Z", 1 + int(i / 1440), int(i % 1440 / 60), i % 60); o = substr(t, 1, 17) "30Z"
  printf "{\"id\": \"c-%d\", \"type\": \"checkout.created\", \"time\": \"%s\", \"data\": {\"id\": %d, \"token\": \"t-%d\", \"email\": \"c%d@example.com\", \"line_items\": [], \"total_price\": \"10.00\"}}\n", i, t, i, i, i
  if (i % 3 == 0) printf "{\"id\": \"o-%d\", \"type\": \"order.created\", \"time\": \"%s\", \"data\": {\"id\": %d, \"checkout_token\": \"t-%d\", \"total_price\": \"10.00\"}}\n", i, o, 90000 + i, i
} }' > "$tmp/long.jsonl"
shuf "$tmp/long.jsonl" > "$tmp/shuffled.jsonl"
h_sorted=$("$bin" simulate "$ac" --events "$tmp/long.jsonl" --hash)
h_shuffled=$("$bin" simulate "$ac" --events "$tmp/shuffled.jsonl" --hash)
check "4000 events in time order and shuffled give the same trace ($h_sorted, $h_shuffled)" \
  test -n "$h_sorted" -a "$h_sorted" = "$h_shuffled"
out=$("$bin" simulate "$ac" --events "$tmp/long.jsonl" --until 2026-04-02T00:00:00Z 2>&1)
expect "a long file with --until: the events after it are counted, not fed in" 0 $? "$out" \
  "Simulated 1921 events from 2026-04-01T00:00:00Z to 2026-04-02T00:00:00Z (2079 events after the end not fed in)"
sed '3500s/.*/{"id": "x", "type": "checkout.created"}/' "$tmp/long.jsonl" > "$tmp/late-bad.jsonl"
printf 'previous trace\n' > "$tmp/late-bad-trace.json"
out=$("$bin" simulate "$ac" --events "$tmp/late-bad.jsonl" --trace "$tmp/late-bad-trace.json" 2>&1)
expect "a bad line late in a long file is named, and nothing is simulated" 2 $? "$out" \
  "late-bad.jsonl: line 3500: the event needs a \"time\""
check "no summary for it" bash -c "! grep -q 'Simulated' <<<'$out'"
check "the trace file there before is left as it was" test "$(cat "$tmp/late-bad-trace.json")" = "previous trace"
check "and no partial trace beside it" bash -c "! ls '$tmp' | grep -q 'late-bad-trace.json.partial'"
out=$("$bin" simulate "$ac" --trace "$tmp/late-bad-trace.json" 2>&1)
expect "a complete trace replaces it" 0 $? "$out" "Trace written to $tmp/late-bad-trace.json"
check "with the trace itself, and nothing beside it" bash -c \
  "grep -q '^{\"bundle\"' '$tmp/late-bad-trace.json' && ! ls '$tmp' | grep -q 'partial'"
out=$("$bin" simulate "$ac" --trace /dev/stdout 2>&1)
expect "a trace to /dev/stdout is written there" 0 $? "$out" '{"bundle":"abandoned-checkout"' "Trace written to /dev/stdout"

printf '{"type": "checkout.created", "time": "2026-04-01T08:00:00Z"}\n{"type": 7}\n' > "$tmp/bad.jsonl"
out=$("$bin" simulate "$ac" --events "$tmp/bad.jsonl" 2>&1); expect "a bad event line is named" 2 $? "$out" "line 2"
out=$("$bin" simulate "$ac" --until tomorrow 2>&1); expect "a bad --until" 2 $? "$out" "is not a date-time"
out=$("$bin" simulate "$ac" --trace "$tmp/no-such-dir/trace.json" 2>&1)
expect "a trace path that cannot be written fails before simulating" 2 $? "$out" \
  "cannot write $tmp/no-such-dir/trace.json: No such file or directory"
check "nothing simulated for it" bash -c "! grep -q 'Simulated' <<<'$out'"
out=$("$bin" simulate 2>&1); expect "no bundle given" 2 $? "$out" "which bundle?"
out=$("$bin" simulate --help 2>&1); expect "simulate --help" 0 $? "$out" "Usage: shopflow simulate"

# Events a trigger filter rejected are in the trace, with the filter's verdict tree; a schedule's
# fire too (weekly-summary runs only when orders wait for review).
nr="$src/tests/data/named-rules.json"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(json.dumps([e for e in b["samples"]["events"] if e["id"] == "usual"][0]))' "$nr" > "$tmp/usual.jsonl"
"$bin" simulate "$nr" --events "$tmp/usual.jsonl" --until 2026-03-10T00:00:00Z --trace "$tmp/rejected.json" > /dev/null
out=$(jq -c '.rejected[] | [.workflow, .event, .type, .time, .explanation.rule, .explanation.result]' "$tmp/rejected.json")
expect "the trace lists what each filter rejected, with why" 0 $? "$out" \
  '["hold-for-review","usual","order.created","2026-03-02T09:00:00Z","flagged",false]' \
  '["weekly-summary","weekly-summary@2026-03-09T08:00:00Z","schedule.tick","2026-03-09T08:00:00Z",null,false]'
check "a rejected event starts no run" test "$(jq '.runs | length' "$tmp/rejected.json")" = 0

finish
