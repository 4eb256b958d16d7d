#!/usr/bin/env bash
# Sends a bundle's sample events to a running `shopflow serve` as one CloudEvents batch, so the
# demo has something to do: runs start, effects land in the file sink.
#   cmake/send-samples.sh [BUNDLE] [URL]
#   defaults: workflows/order-processing.json http://127.0.0.1:$PORT (PORT as for cmake/demo.sh, 8080)
# With SHOPFLOW_API_TOKEN set, sends it as the bearer token.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0;; esac
bundle=${1:-workflows/order-processing.json}
url=${2:-http://127.0.0.1:${PORT:-8080}}
[ -r "$bundle" ] || { echo "send-samples: cannot read $bundle" >&2; exit 2; }
batch=$(node -e '
  const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const events = ((b.samples || {}).events || []).map((e, i) => ({
    specversion: "1.0", source: "shopflow:samples", id: e.id || `sample-${i + 1}`, ...e }));
  if (!events.length) { console.error("send-samples: the bundle has no samples.events"); process.exit(2); }
  process.stdout.write(JSON.stringify(events));' "$bundle")
auth=()
[ -n "${SHOPFLOW_API_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $SHOPFLOW_API_TOKEN")
curl -sS -X POST "$url/v1/events" -H 'Content-Type: application/cloudevents-batch+json' "${auth[@]}" --data-binary "$batch"
echo
