#!/usr/bin/env bash
# Determinism across builds: the native and the WebAssembly simulate tool must print the same
# trace hashes for every example bundle (its samples and each of its tests), byte for byte.
# Usage: determinism.sh NATIVE_TOOL NODE WASM_TOOL_JS SOURCE_DIR
set -u
native=$1 node=$2 wasm=$3 src=$4
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$native" "$src" > "$tmp/native.txt" || { echo "FAIL the native tool failed"; cat "$tmp/native.txt"; exit 1; }
"$node" --no-experimental-fetch "$wasm" "$src" > "$tmp/wasm.txt" || { echo "FAIL the WebAssembly tool failed"; cat "$tmp/wasm.txt"; exit 1; }
if ! [ -s "$tmp/native.txt" ]; then echo "FAIL no output"; exit 1; fi
if cmp -s "$tmp/native.txt" "$tmp/wasm.txt"; then
  cat "$tmp/native.txt"
  echo "ok   native and WebAssembly traces are byte-identical ($(wc -l < "$tmp/native.txt") simulations)"
else
  echo "FAIL native and WebAssembly traces differ:"
  diff "$tmp/native.txt" "$tmp/wasm.txt"
  exit 1
fi
