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
