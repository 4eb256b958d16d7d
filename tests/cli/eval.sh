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

out=$("$bin" eval --help 2>&1); expect "eval --help" 0 $? "$out" "Usage: shopflow eval" "--explain"

finish
