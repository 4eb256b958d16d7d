# Shared by the command-line tests (tests/cli/*.sh), sourced after `bin` and `src` are set:
# a temporary folder, the `expect` check, and `finish`, which prints the summary line and
# gives the exit status CTest reads.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
expect() {  # expect NAME WANT_EXIT GOT_EXIT OUTPUT PATTERN...
  local name=$1 want=$2 got=$3 out=$4; shift 4
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, wanted $want"; echo "$out"; fails=$((fails+1)); return; fi
  for pat in "$@"; do
    if ! grep -qF -- "$pat" <<<"$out"; then echo "FAIL $name: output lacks '$pat'"; echo "$out"; fails=$((fails+1)); return; fi
  done
  passes=$((passes+1))
  echo "ok   $name"
}
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}
check() {  # check NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@"; then passes=$((passes+1)); echo "ok   $name"; else fails=$((fails+1)); echo "FAIL $name"; fi
}
