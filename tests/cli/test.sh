#!/usr/bin/env bash
# `shopflow test` as a user runs it: every example bundle passes its own tests; a deliberately
# broken expectation gives exit 1 and a readable diff; a bundle with problems is not run.
# Usage: test.sh SHOPFLOW_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
source "$(dirname "$0")/lib/expect.sh"

for b in "$src"/workflows/*.json; do
  case $b in *.schema.json) continue;; esac
  out=$("$bin" test --require-coverage "$b" 2>&1); expect "tests of $(basename "$b") pass and take every branch" 0 $? "$out" "PASS" " 0 failed" "Branches: "
done

# Named rules written once and used by a filter, a set, a switch and other rules; a schedule with a filter.
out=$("$bin" test --require-coverage "$src/tests/data/named-rules.json" 2>&1)
expect "named rules and a schedule filter" 0 $? "$out" "PASS  a week without orders in review sends no summary" \
  "Branches: 6 of 6" "5 passed, 0 failed"

# Effects that have an opposite are undone by it (release a hold, take tags off, cancel a fulfilment).
out=$("$bin" test --require-coverage "$src/tests/data/hold-and-release.json" 2>&1)
expect "opposite effects" 0 $? "$out" "PASS  a cleared review releases the hold and takes the tags off" \
  "PASS  a refused review cancels the fulfilment" "2 passed, 0 failed"

out=$("$bin" test "$src/workflows/abandoned-checkout.json" 2>&1)
expect "abandoned checkout: the wait-for-order tests" 0 $? "$out" \
  "PASS  order arrives in time: no email" "PASS  no order: a reminder at 4 hours, a discount code at 24 hours"

# Break one expected subject and one expected table value: exit 1, the diff names both.
sed -e 's/"subject": "Grace, your cart is waiting"/"subject": "Grace, come back"/' \
    -e 's/"sent": 2$/"sent": 3/' \
    "$src/workflows/abandoned-checkout.json" > "$tmp/broken.json"
out=$("$bin" test "$tmp/broken.json" 2>&1)
expect "a broken expectation fails with a diff" 1 $? "$out" \
  "FAIL  no order: a reminder at 4 hours, a discount code at 24 hours" \
  '/params/subject: expected "Grace, come back", got "Grace, your cart is waiting"' \
  'table recovery, key "reminders": /sent: expected 3, got 2' \
  "effects that happened:" "1 failed"

# The order comes after the first reminder: the "no email" test fails and says why.
sed -e 's/"time": "2026-03-02T10:30:00Z"/"time": "2026-03-02T20:30:00Z"/' \
    "$src/workflows/abandoned-checkout.json" > "$tmp/late.json"
out=$("$bin" test "$tmp/late.json" 2>&1)
expect "an order that comes too late fails the no-email test" 1 $? "$out" \
  "FAIL  order arrives in time: no email" "unexpected effect (no_effects lists email.send): 2026-03-02T13:00:00Z email.send" \
  'table recovery, key "reminders": /sent: expected 0, got 1'

printf '{"format": "shopflow.bundle/1", "name": "x", "version": "1", "workflows": [{"id": "w", "trigger": {"event": "order.created"}, "steps": [{"id": "s", "action": "email.blast"}]}]}' > "$tmp/bad.json"
out=$("$bin" test "$tmp/bad.json" 2>&1); expect "a bundle with problems is not run" 1 $? "$out" "/workflows/0/steps/0/action: unknown action"
out=$("$bin" test "$tmp/absent.json" 2>&1); expect "missing file" 2 $? "$out" "cannot read"
out=$("$bin" test 2>&1); expect "no bundle given" 2 $? "$out" "which bundle?"
out=$("$bin" test --help 2>&1); expect "test --help" 0 $? "$out" "Usage: shopflow test"

finish
