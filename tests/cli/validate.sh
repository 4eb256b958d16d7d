#!/usr/bin/env bash
# `shopflow validate` as a user runs it: OK on a good bundle, every problem with its JSON
# Pointer on a bad one (exit 1), line and column on broken JSON (exit 2), help and usage.
# Usage: validate.sh SHOPFLOW_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
source "$(dirname "$0")/lib/expect.sh"

for b in "$src"/workflows/*.json; do
  case $b in *.schema.json) continue;; esac
  out=$("$bin" validate "$b" 2>&1); expect "valid $(basename "$b")" 0 $? "$out" "OK"
done

out=$("$bin" validate "$src/tests/data/three-mistakes.json" 2>&1)
expect "three mistakes named with pointers" 1 $? "$out" \
  "/workflows/1/id: the workflow id \"confirm\" is used twice" \
  "/workflows/2/trigger: missing" \
  "/workflows/3/trigger/event: \"Order Paid\" is not an event type" \
  "3 problems"

# A new user's costly typos: each names its pointer and the nearest valid name.
out=$("$bin" validate "$src/tests/data/fraud-review-mistakes.json" 2>&1)
expect "misspelled references are problems" 1 $? "$out" \
  "/workflows/0/trigger/filter/or/0/lookup/0: no table named \"high_risk_countrys\"; did you mean \"high_risk_countries\"?" \
  "/workflows/0/steps/5/set/n/reduce/0/rows: no table named \"high_risk_countres\"; did you mean \"high_risk_countries\"?" \
  "/workflows/0/steps/2/params/message: template (line 1, column 1) renders \"fraud_alrt\", but there is no template of that name under \"templates\"; did you mean \"fraud_alert\"?" \
  "/workflows/0/steps/2/params/message: template (line 1, column 89) reads steps.holdd, but this workflow has no step with the id \"holdd\"; did you mean steps.hold?" \
  "/workflows/0/steps/0/params/reason: template (line 1, column 1) reads vars.reason before a set step sets it" \
  "/workflows/0/steps/4/if: reads vars.reasn, but no set step of this workflow sets \"reasn\"; did you mean vars.reason?" \
  "/workflows/0/steps/2/params/message: warning: template (line 1, column 52) reads event.data.totl_price, which no sample \"order.created\" event has; did you mean event.data.total_price?" \
  "8 problems, 3 warnings"
# Warnings alone pass; --strict makes them problems.
python3 - "$src/tests/data/fraud-review-mistakes.json" "$tmp/warnings-only.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
wf = b["workflows"][0]
wf["trigger"] = {"event": "order.created"}
wf["steps"] = [{"id": "tell", "action": "notify", "params": {"channel": "#fraud", "message": "Total {{ event.data.totl_price | money }}"}}]
json.dump(b, open(sys.argv[2], "w"))
PY
out=$("$bin" validate "$tmp/warnings-only.json" 2>&1); expect "warnings alone pass" 0 $? "$out" "warning: template (line 1, column 7) reads event.data.totl_price" "OK, with warnings" "1 warning"
out=$("$bin" validate --strict "$tmp/warnings-only.json" 2>&1); expect "--strict makes warnings problems" 1 $? "$out" "/workflows/0/steps/0/params/message: template (line 1, column 7) reads event.data.totl_price" "1 problem"
out=$("$bin" test "$src/tests/data/strict-templates.json" 2>&1); expect "strict templates fail a run on a missing field" 0 $? "$out" "2 passed"

# Typos inside named rules and partials are checked where a workflow uses them, against the
# events it takes, and reported where they are written, in the partial's own names.
out=$("$bin" validate "$src/tests/data/partial-and-rule-mistakes.json" 2>&1)
expect "a named rule's reads are checked where it is used" 0 $? "$out" \
  "/rules/big_order/money_gt/0: warning: reads event.data.totl_price, which no sample \"order.created\" event has; did you mean event.data.total_price? (rule \"flagged\" as used at /workflows/0/trigger/filter)" \
  "/rules/regular/has_tag/0: warning: reads event.data.customer.tagz, which no sample \"order.created\" event has; did you mean event.data.customer.tags?"
expect "a partial's reads are checked through its render arguments" 0 0 "$out" \
  "/templates/receipt: warning: template (line 1, column 7) reads order.nme, which no sample \"order.created\" event has; did you mean order.name? (rendered from /workflows/0/steps/0/params/body (line 1, column 1))" \
  "/templates/line: warning: template (line 1, column 42) reads item.variant_tile, which no sample \"order.created\" event has; did you mean item.variant_title?" \
  "4 warnings"
out=$("$bin" validate --strict "$src/tests/data/partial-and-rule-mistakes.json" 2>&1)
expect "--strict makes them problems" 1 $? "$out" "/templates/line: template (line 1, column 42) reads item.variant_tile" \
  "/rules/big_order/money_gt/0: reads event.data.totl_price" "4 problems"
# A partial rendered twice, or from two workflows, is reported once; a name its caller does
# not pass is named with the arguments it does.
python3 - "$src/tests/data/partial-and-rule-mistakes.json" "$tmp/twice.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
del b["rules"]
b["templates"] = {"line": "{{ item.title }} {{ currncy }}"}
b["workflows"] = [{"id": w, "trigger": {"event": "order.created"}, "steps": [{"id": "tell", "action": "notify", "params": {
    "channel": "#orders", "message": "{% for l in event.data.line_items %}{% render 'line', item: l, currency: event.data.currency %}{% render 'line', item: l %}{% endfor %}"}}]}
    for w in ("one", "two")]
json.dump(b, open(sys.argv[2], "w"))
PY
out=$("$bin" validate "$tmp/twice.json" 2>&1)
expect "a partial's typo is reported once, with the caller's names" 0 $? "$out" \
  "/templates/line: warning: template (line 1, column 18) reads currncy, but a step's data has no \"currncy\"" "did you mean currency?" "1 warning"

printf '{\n  "name": "x",\n  "version": ,\n}\n' > "$tmp/broken.json"
out=$("$bin" validate "$tmp/broken.json" 2>&1); expect "broken JSON gives line and column" 2 $? "$out" "broken.json:3:14:"
printf '{"format": "shopflow.bundle/1", "name": "x", "version": "1", "workflows": [{"id": "w", "trigger": {"schedule": "0 7 * * *", "utc_offset": "+01:00"}}]}' > "$tmp/offset.json"
out=$("$bin" validate "$tmp/offset.json" 2>&1); expect "a fixed offset gets the zone form suggested" 0 $? "$out" "OK" \
  "hint: /workflows/0/trigger/utc_offset" "\"time_zone\"" "include Europe/"
printf '{"format": "shopflow.bundle/1", "name": "x", "version": "1", "time_zone": "Europe/Berln", "workflows": []}' > "$tmp/zone.json"
out=$("$bin" validate "$tmp/zone.json" 2>&1); expect "a misspelt zone names the nearest" 1 $? "$out" \
  "/time_zone: unknown time zone \"Europe/Berln\"; did you mean Europe/Berlin?"
out=$("$bin" validate "$tmp/absent.json" 2>&1); expect "missing file" 2 $? "$out" "cannot read" "No such file"
out=$("$bin" validate - < "$src/workflows/order-processing.json" 2>&1); expect "stdin" 0 $? "$out" "OK"
out=$("$bin" validate --help 2>&1); expect "validate --help" 0 $? "$out" "Usage: shopflow validate"
out=$("$bin" --help 2>&1); expect "--help" 0 $? "$out" "Usage: shopflow COMMAND" "validate"
out=$("$bin" frobnicate 2>&1); expect "unknown command" 2 $? "$out" "unknown command 'frobnicate'"
out=$("$bin" validate 2>&1); expect "no file given" 2 $? "$out" "which bundle?"

finish
