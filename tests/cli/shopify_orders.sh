#!/usr/bin/env bash
# Every example bundle that takes orders, run on orders as Shopify's webhooks send them
# (tests/data/shopify-orders: USD; JPY, which has no minor units; BHD, which has three; a USD
# shop whose customer paid in CAD; shipping_lines without a shipping total; line items with
# their variant_title). Each order arrives as order.created and then order.paid. No run may
# fail, and what the customer reads must be in the order's currency, with its shipping line and
# variant names.
# Usage: shopify_orders.sh SHOPFLOW_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
source "$(dirname "$0")/lib/expect.sh"
orders="$src/tests/data/shopify-orders"

# The orders as CloudEvents, created at their created_at and paid a minute later.
python3 - "$orders" > "$tmp/orders.jsonl" <<'PY'
import datetime, json, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    order = json.loads(path.read_text())
    created = datetime.datetime.fromisoformat(order["created_at"]).astimezone(datetime.timezone.utc)
    for n, (kind, at) in enumerate([("created", created), ("paid", created + datetime.timedelta(minutes=1))]):
        print(json.dumps({"id": f"{path.stem}-{kind}", "type": f"order.{kind}", "source": "shopify:paper-and-brass",
                          "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "data": order}, ensure_ascii=False))
PY

# The effects of one bundle's runs over the orders, one "TYPE WORKFLOW PARAMS" line each, and
# the runs that failed.
run_bundle() {  # run_bundle NAME
  local name=$1
  "$bin" simulate "$src/workflows/$name.json" --events "$tmp/orders.jsonl" --trace "$tmp/$name.trace.json" > "$tmp/$name.out" 2>&1 || {
    echo "FAIL $name: simulate failed"; cat "$tmp/$name.out"; fails=$((fails+1)); return 1; }
  jq -r '.runs[] | select(.status == "failed") | "\(.id): \(.error)"' "$tmp/$name.trace.json" > "$tmp/$name.failed"
  jq -r '.effects[] | "\(.type) \(.workflow) \(.params | tostring)"' "$tmp/$name.trace.json" > "$tmp/$name.effects"
}

# What one workflow of a bundle sent, one effect's parameters after another.
sent() {  # sent BUNDLE WORKFLOW
  jq -r --arg w "$2" '.effects[] | select(.workflow == $w) | .params | to_entries[] | "\(.key): \(.value)"' "$tmp/$1.trace.json"
}

for b in order-processing accounting audit customer-service inventory marketing shipping abandoned-checkout; do
  run_bundle "$b" || continue
  check "$b: no run fails on Shopify's orders" test ! -s "$tmp/$b.failed" || cat "$tmp/$b.failed"
  # What a bundle writes about one of these orders is never in the bundle's own euros.
  check "$b: nothing about these orders in the bundle's euros" \
    bash -c "! grep -E '#100[1-4]' '$tmp/$b.effects' | grep -E '€|EUR'"
done

out=$(sent order-processing confirm-order)
expect "confirmation in dollars, with each variant's name and the shipping line" 0 0 "$out" \
  "1 x Linen notebook - A5 / Sage  \$18.00" "2 x Linen notebook - A5 / Ink blue  \$36.00" \
  "1 x Linen notebook - A6 / Sage  \$14.50" "  Shipping  \$6.90" "  Total     \$80.71 USD"
expect "confirmation in yen: no minor units" 0 0 "$out" \
  "1 x Brass fountain pen - Fine nib  ¥11,800" "2 x Blue ink cartridges - Pack of 6  ¥1,980" "  Shipping  ¥880" \
  "  Total     ¥16,126 JPY"
expect "confirmation in dinars: three minor units" 0 0 "$out" \
  "1 x Walnut desk tray - Large  24.750 BD" "3 x Linen notebook - A5 / Sage  20.475 BD" "  Shipping  3.500 BD" \
  "  Total     51.223 BHD"
expect "confirmation of a USD order paid in CAD: both, each in its own currency" 0 0 "$out" \
  "  Total     \$159.46 USD" "  Charged   \$217.26 CAD"
check "a confirmation for each order, no more" test "$(grep -c '^subject: Your order #100[1-4] is confirmed' <<<"$out")" = 4

out=$(sent marketing track-customer)
expect "a VIP welcome counts the spend in the order's currency" 0 0 "$out" "you have now spent ¥16,126 with us"
out=$(sent shipping choose-carrier)
expect "the packers' note gives the goods' value in the order's currency" 0 0 "$out" \
  "\$68.50 of goods to US" "¥13,780 of goods to JP" "45.225 BD of goods to BH" "\$127.00 of goods to CA"
out=$(sent accounting book-sale)
expect "orders in another currency than the books' are not booked, and finance is told in theirs" 0 0 "$out" \
  "Order #1002 was paid in JPY (¥16,126 JPY)" "Order #1003 was paid in BHD (51.223 BHD)" "Order #1001 was paid in USD (\$80.71 USD)"
check "accounting: nothing added to the ledger" test "$(jq '.tables.final.ledger | length' "$tmp/accounting.trace.json")" = 0
# The audit adds lines, shipping (from shipping_lines: Shopify sends no total_shipping_price) and
# tax, in the order's minor units: these correct orders raise no alert.
check "audit: correct orders in USD, JPY and BHD raise no alert" test "$(sent audit audit-order | wc -l)" = 0

finish
