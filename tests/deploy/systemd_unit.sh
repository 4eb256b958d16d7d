#!/usr/bin/env bash
# Checks workflows/deploy/shopflow.service as systemd reads it: `systemd-analyze verify` finds
# no problem at all (it exits 0 on unknown keys and bad values, so any message fails the test),
# the sandbox keeps the unit's exposure under 2.0 (`systemd-analyze security`), and every
# option its ExecStart passes is one `shopflow serve` knows.
#   systemd_unit.sh SHOPFLOW SOURCE_DIR
set -euo pipefail
shopflow=$(realpath "$1")
unit="$2/workflows/deploy/shopflow.service"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The unit names the installed program; here it is the one just built.
sed "s#/usr/local/bin/shopflow#$shopflow#" "$unit" > "$work/shopflow.service"

fail() { echo "systemd_unit: $*" >&2; exit 1; }

out=$(cd "$work" && systemd-analyze verify ./shopflow.service 2>&1) || fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify complains: $out"

security=$(cd "$work" && systemd-analyze security --offline=yes --threshold=20 ./shopflow.service 2>&1) ||
  fail "exposure above 2.0: $(echo "$security" | tail -1)"
echo "$security" | tail -1

for directive in DynamicUser=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
                 RestrictAddressFamilies= SystemCallFilter=@system-service MemoryDenyWriteExecute=yes \
                 EnvironmentFile=/etc/shopflow/env 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qF -- "$directive" "$unit" || fail "the unit lacks $directive"
done

help=$("$shopflow" serve --help)
exec_start=$(grep '^ExecStart=' "$unit")
for option in $(echo "$exec_start" | grep -o -- ' --[a-z-]*'); do
  echo "$help" | grep -q -- "^  $option " || fail "ExecStart passes $option, which shopflow serve does not know"
done
echo "systemd_unit: ok"
