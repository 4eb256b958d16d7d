#!/usr/bin/env bash
# `shopflow eval` as analysts run it before deploying a rule: the result as JSON, the verdict
# tree with --explain, stdin, exact money, and clear errors with exit 1 (usage errors exit 2).
# Usage: eval.sh SHOPFLOW_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
source "$(dirname "$0")/lib/expect.sh"

cat > "$tmp/rule.json" <<'JSON'
{ "and": [
    { "money_gte": [{ "var": "event.data.total_price" }, "100"] },
    { "has_tag": [{ "var": "event.data.customer.tags" }, "vip"] } ] }
JSON
cat > "$tmp/order.json" <<'JSON'
{ "event": { "data": { "total_price": "149.90", "customer": { "tags": "VIP, wholesale" } } } }
JSON
cat > "$tmp/small.json" <<'JSON'
{ "event": { "data": { "total_price": "99.99", "customer": { "tags": "vip" } } } }
JSON

out=$("$bin" eval "$tmp/rule.json" --data "$tmp/order.json" 2>&1); expect "a matching order gives true" 0 $? "$out" "true"
out=$("$bin" eval "$tmp/rule.json" --data "$tmp/small.json" 2>&1); expect "99.99 is below 100, exactly" 0 $? "$out" "false"
out=$("$bin" eval "$tmp/rule.json" --data "$tmp/small.json" --explain 2>&1)
expect "--explain shows the failing clause and the values it saw" 0 $? "$out" \
  '"result": false' '"op": "money_gte"' '"99.99"' '"op": "has_tag"'
out=$(echo '{"money_add": ["49.90", "49.90", "0.20"]}' | "$bin" eval - 2>&1); expect "stdin, exact money" 0 $? "$out" '"100.00"'
out=$(echo '{"map": [[1, 2, 3], {"*": [{"var": ""}, 2]}]}' | "$bin" eval - 2>&1); expect "a computed value" 0 $? "$out" "2" "4" "6"

out=$(echo '{"has_tags": ["a", "b"]}' | "$bin" eval - 2>&1); expect "an unknown operator is named" 1 $? "$out" 'unknown operator "has_tags"'
out=$(echo '{"money_add": ["ten", "1"]}' | "$bin" eval - 2>&1); expect "a type error says what was wrong" 1 $? "$out" "money_add"
out=$(echo '{"==": [1' | "$bin" eval - 2>&1); expect "broken JSON is refused" 1 $? "$out" "1:"
out=$("$bin" eval "$tmp/missing.json" 2>&1); expect "an unreadable rule" 2 $? "$out" "cannot read"
out=$("$bin" eval 2>&1); expect "no rule given" 2 $? "$out" "Usage: shopflow eval"
# --bundle: the bundle's named rules and declared tables, trigger read as event.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump({"event": d["samples"]["events"][1]}, open(sys.argv[2], "w"))' \
  "$src/tests/data/named-rules.json" "$tmp/risky.json"
out=$(echo '{"rule": "reason"}' | "$bin" eval - --bundle "$src/tests/data/named-rules.json" --data "$tmp/risky.json" 2>&1)
expect "eval --bundle uses named rules and tables" 0 $? "$out" '"high-risk country"'
out=$(echo '{"rows": "high_risk_countries"}' | "$bin" eval - --bundle "$src/tests/data/named-rules.json" 2>&1)
expect "eval --bundle reads the declared rows" 0 $? "$out" '[{"code":"XX"}]'
out=$(echo '{"lookup": ["high_risk_countries", {"var": "trigger.data.shipping_address.country_code"}, "code"]}' | "$bin" eval - --bundle "$src/tests/data/named-rules.json" --data "$tmp/risky.json" 2>&1)
expect "eval --bundle reads trigger as event" 0 $? "$out" '"XX"'
out=$(echo '{"rule": "flaged"}' | "$bin" eval - --bundle "$src/tests/data/named-rules.json" 2>&1)
expect "eval --bundle: an unknown rule name" 1 $? "$out" 'no rule named "flaged" under "rules"; did you mean "flagged"?'
out=$(echo '{"rule": "x"}' | "$bin" eval - --bundle "$src/tests/data/fraud-review-mistakes.json" 2>&1)
expect "eval --bundle refuses a bundle with problems" 1 $? "$out" "has problems; \`shopflow validate\` lists them"

# --run RUN --trace T: the data a step of a simulated run saw, and the tables as they were then.
nr="$src/tests/data/named-rules.json" op="$src/workflows/order-processing.json"
"$bin" simulate "$nr" --trace "$tmp/nr.json" > /dev/null
"$bin" simulate "$op" --trace "$tmp/op.json" > /dev/null
at() { "$bin" eval - --bundle "$nr" --trace "$tmp/nr.json" "$@" 2>&1; }
out=$(echo '{"var": "vars.reason"}' | at --run hold-for-review:risky --step hold); expect "a var a set step set, at a later step" 0 $? "$out" '"high-risk country"'
out=$(echo '{"var": "vars.reason"}' | at --run hold-for-review:risky --step why); expect "and not yet before that step" 0 $? "$out" "null"
out=$(echo '{"rows": "review_queue"}' | at --run hold-for-review:risky --step queue); expect "tables as the step found them: before the row was set" 0 $? "$out" "[]"
out=$(echo '{"rows": "review_queue"}' | at --run hold-for-review:risky --step kind); expect "and after" 0 $? "$out" '[{"reason":"high-risk country","order":"2"}]'
out=$("$bin" eval --bundle "$nr" --trace "$tmp/nr.json" --run hold-for-review:risky --step kind --explain 2>&1)
expect "without a rule, the step's own condition, explained" 0 $? "$out" '"result": true' '"rule": "risky_country"'
out=$("$bin" eval --bundle "$nr" --trace "$tmp/nr.json" --run hold-for-review:big-first --step trigger 2>&1)
expect "--step trigger: the trigger's filter on what it saw" 0 $? "$out" "true"
out=$(echo '{"var": "trigger.time"}' | at --run 'weekly-summary@2026-03-09T08:00:00Z' --step summary); expect "a schedule's run: its trigger" 0 $? "$out" '"2026-03-09T08:00:00Z"'
out=$(echo '{"var": "line.sku"}' | "$bin" eval - --bundle "$op" --trace "$tmp/op.json" --run route-to-warehouse:evt-1001-paid --step take-stock/1/reserve 2>&1)
expect "inside a foreach: the item of that step" 0 $? "$out" '"NOTEBOOK-A5"'
stock() { echo '{"lookup": ["stock", "DESK-TRAY", "BER"]}' | "$bin" eval - --bundle "$op" --trace "$tmp/op.json" --run route-to-warehouse:evt-1001-paid --step "$1" 2>&1; }
check "the run's own earlier table changes count, its later ones do not" test "$(stock take-stock/0/reserve) $(stock take-stock/1/reserve)" = "24 23"
audit_run=$("$bin" simulate "$src/workflows/audit.json" --trace "$tmp/audit.json" > /dev/null && jq -r '[.runs[] | select(.workflow == "audit-order")][0].id' "$tmp/audit.json")
out=$(echo '{"var": "event.data.source_event"}' | "$bin" eval - --bundle "$src/workflows/audit.json" --trace "$tmp/audit.json" --run "$audit_run" --step amounts 2>&1)
expect "a run of an emitted event: the event rebuilt from the step that emitted it" 0 $? "$out" '"order.created"'
# Events from a file: the trace names them; their data comes from the same file.
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); [print(json.dumps(dict(e, time="2026-05-04T10:00:00Z"))) for e in b["samples"]["events"]]' "$nr" > "$tmp/may.jsonl"
"$bin" simulate "$nr" --events "$tmp/may.jsonl" --trace "$tmp/may.json" > /dev/null
out=$(echo '{"var": "event.time"}' | "$bin" eval - --bundle "$nr" --trace "$tmp/may.json" --run hold-for-review:risky --step hold --events "$tmp/may.jsonl" 2>&1)
expect "--events: the run's event from the file the simulation read" 0 $? "$out" '"2026-05-04T10:00:00Z"'
out=$(echo '{"var": "x"}' | at --run hold-for-review:risky --step shipp); expect "a step the run did not take" 1 $? "$out" \
  'run "hold-for-review:risky" did not take a step "shipp"; it took why, hold, queue, kind, kind/cases/0/fraud'
out=$(echo '{"var": "x"}' | at --run hold-for-review:risk); expect "an unknown run names the workflow's runs" 1 $? "$out" \
  'no run "hold-for-review:risk" in the trace; runs of hold-for-review: hold-for-review:big-first, hold-for-review:risky'
printf '{"id": "other", "type": "order.created", "time": "2026-05-04T10:00:00Z", "data": {}}\n' > "$tmp/other.jsonl"
out=$(echo '{"var": "x"}' | at --run hold-for-review:risky --events "$tmp/other.jsonl"); expect "the run's event missing from the events given" 1 $? "$out" \
  'the run'"'"'s event "risky" is not among the events given' "--events FILE"
out=$(echo '{"var": "x"}' | "$bin" eval - --run hold-for-review:risky --trace "$tmp/nr.json" 2>&1); expect "--run needs the bundle" 2 $? "$out" "--run needs --bundle"
out=$(echo '{"var": "x"}' | "$bin" eval - --bundle "$nr" --run hold-for-review:risky 2>&1); expect "--run needs --trace" 2 $? "$out" "--run and --trace go together"

out=$("$bin" eval --help 2>&1); expect "eval --help" 0 $? "$out" "Usage: shopflow eval" "--explain" "--run RUN --trace T"

finish
