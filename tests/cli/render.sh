#!/usr/bin/env bash
# `shopflow render` as analysts run it: exactly the rendered text on stdout (nothing added),
# stdin, Shopify's money and json filters, and errors on stderr with line and column, exit 1.
# Usage: render.sh SHOPFLOW_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
source "$(dirname "$0")/lib/expect.sh"

cat > "$tmp/order.json" <<'JSON'
{ "order": { "name": "#1001", "total_price": "1234.5", "customer": { "first_name": "Ada" },
             "line_items": [ { "title": "Walnut desk tray", "quantity": 2 }, { "title": "Linen notebook", "quantity": 1 } ] } }
JSON
printf '%s' 'Hi {{ order.customer.first_name }}, order {{ order.name }}: {% for l in order.line_items %}{{ l.quantity }} x {{ l.title }}{% unless forloop.last %}, {% endunless %}{% endfor %}. Total {{ order.total_price | money }}' > "$tmp/confirm.liquid"

out=$("$bin" render "$tmp/confirm.liquid" --data "$tmp/order.json" 2>&1)
expect "a confirmation renders" 0 $? "$out" "Hi Ada, order #1001: 2 x Walnut desk tray, 1 x Linen notebook. Total \$1,234.50"
"$bin" render "$tmp/confirm.liquid" --data "$tmp/order.json" > "$tmp/out.txt" 2> "$tmp/err.txt"
printf '%s' 'Hi Ada, order #1001: 2 x Walnut desk tray, 1 x Linen notebook. Total $1,234.50' > "$tmp/want.txt"
check "stdout is exactly the text: no newline added, nothing on stderr" \
  bash -c "cmp -s '$tmp/want.txt' '$tmp/out.txt' && test ! -s '$tmp/err.txt'"
out=$(printf '{{ order | json }}' | "$bin" render - --data "$tmp/order.json" 2>&1); expect "stdin and the json filter" 0 $? "$out" '"name":"#1001"'
out=$(printf 'line 1\n{%% if order %%}\nunclosed' | "$bin" render - --data "$tmp/order.json" 2>&1)
expect "an unclosed tag: line and column, exit 1" 1 $? "$out" "<stdin>:2:" "never closed"
out=$(printf '{{ order.name | shout }}' | "$bin" render - --strict --data "$tmp/order.json" 2>&1)
expect "--strict refuses an unknown filter" 1 $? "$out" "<stdin>:1:" "shout"
out=$(printf '{{ order.name | shout }}' | "$bin" render - --data "$tmp/order.json" 2>&1)
expect "lax mode renders past an unknown filter" 0 $? "$out" "#1001"
out=$(printf '{%% for i in (1..100000000) %%}x{%% endfor %%}' | timeout 20 "$bin" render - 2>&1)
expect "a runaway loop ends with a clear error, not a hang" 1 $? "$out" "limit"
out=$("$bin" render "$tmp/missing.liquid" 2>&1); expect "an unreadable template" 2 $? "$out" "cannot read"
# --bundle: the bundle's partials and money format, trigger read as event.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump({"event": d["samples"]["events"][0]}, open(sys.argv[2], "w"))' \
  "$src/workflows/order-processing.json" "$tmp/order.json"
printf '%s' 'Total {{ trigger.data.total_price | money }}; {% render "missing_fields", order: event.data %}.' > "$tmp/conf.liquid"
out=$("$bin" render "$tmp/conf.liquid" --bundle "$src/workflows/order-processing.json" --data "$tmp/order.json" 2>&1)
expect "render --bundle uses its partials and money format" 0 $? "$out" "Total €102,85; ."
out=$("$bin" render "$tmp/conf.liquid" --data "$tmp/order.json" 2>&1)
expect "without --bundle the partial is unknown" 1 $? "$out" "no template named 'missing_fields'"

# --run RUN --trace T [STEP]: a template, or the step's own parameters, on what that step saw.
op="$src/workflows/order-processing.json"
"$bin" simulate "$op" --trace "$tmp/op.json" > /dev/null
out=$(printf '%s' '{{ event.data.name }} from {{ vars.warehouse }}: {{ line.quantity }} x {{ line.sku }}' |
      "$bin" render - --bundle "$op" --run route-to-warehouse:evt-1001-paid --trace "$tmp/op.json" take-stock/1/reserve 2>&1)
expect "a template on the data of a step inside a foreach" 0 $? "$out" "#1001 from BER: 2 x NOTEBOOK-A5"
out=$("$bin" render --bundle "$op" --run route-to-warehouse:evt-1001-paid --trace "$tmp/op.json" take-stock/1/reserve 2>&1)
expect "without a template, the step's parameters as it computed them" 0 $? "$out" '"key": "NOTEBOOK-A5"' '"field": "BER"' '"amount": -2'
out=$("$bin" render --bundle "$op" --run confirm-order:evt-1001-created --trace "$tmp/op.json" --step send-confirmation 2>&1)
expect "an email as it was sent, partials and money format included" 0 $? "$out" '"subject": "Your order #1001 is confirmed"' 'Total     €102,85 EUR'
# Every effect of a simulation, rendered again from the trace, is what its step made (audit's
# runs start from emitted events).
for b in order-processing audit; do
  "$bin" simulate "$src/workflows/$b.json" --trace "$tmp/$b.trace.json" > /dev/null
  same=0 differ=""
  while read -r effect; do
    run=$(jq -r .run <<<"$effect") step=$(jq -r .step <<<"$effect")
    got=$("$bin" render --bundle "$src/workflows/$b.json" --run "$run" --trace "$tmp/$b.trace.json" "$step" 2>&1 | jq -cS . 2>&1)
    if [ "$got" = "$(jq -cS .params <<<"$effect")" ]; then same=$((same+1)); else differ+="$run $step: $got"$'\n'; fi
  done < <(jq -c '.effects[] | select(.type != "http.request")' "$tmp/$b.trace.json")
  [ -z "$differ" ] || echo "$differ"
  check "$b: each of the $same effects rendered again from the trace is the one its step made" test -z "$differ" -a "$same" -gt 10
done
out=$("$bin" render --bundle "$op" --run route-to-warehouse:evt-1001-paid --trace "$tmp/op.json" take-stock 2>&1)
expect "a step without parameters asks for a template" 1 $? "$out" "step take-stock has no parameters to render"
out=$("$bin" render --bundle "$op" --run route-to-warehouse:evt-1001-paid 2>&1)
expect "--run needs --trace" 2 $? "$out" "--run and --trace go together"

out=$("$bin" render --help 2>&1); expect "render --help" 0 $? "$out" "Usage: shopflow render" "--strict" "--run RUN --trace T"

finish
