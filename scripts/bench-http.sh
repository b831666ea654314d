#!/usr/bin/env bash
# Throughput of the anonymous thread page (10 answers) served by the release binary over
# loopback, next to the stylesheet served by the same server (the static-bytes ceiling).
# Usage: scripts/bench-http.sh [seconds] [connections]. Installs wrk if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
CONNECTIONS="${2:-64}"
PORT=18181
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p stoa
BIN="$PWD/target/release/stoa"
WORK="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
export STOA_BIND="127.0.0.1:$PORT" STOA_BASE_URL="$BASE" RUST_LOG=warn

echo "velvet ladder orbit pancake" | "$BIN" admin create-owner --username owner --email owner@example.com >/dev/null
"$BIN" serve >server.log 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

token() { grep -o 'name="csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//'; }
post() { curl -s -o /dev/null -w '%{redirect_url}' -b jar -c jar -H "Origin: $BASE" "$@"; }
csrf=$(curl -s -b jar -c jar "$BASE/login" | token)
post --data-urlencode "csrf=$csrf" -d login=owner --data-urlencode "password=velvet ladder orbit pancake" -d next=/ "$BASE/login" >/dev/null
csrf=$(curl -s -b jar -c jar "$BASE/admin/categories" | token)
post --data-urlencode "csrf=$csrf" -d name=Billing "$BASE/admin/categories" >/dev/null
body=$'Open **Settings → Billing** and check the renewal date.\n\n1. Sign out and in.\n2. Open *Invoices*.\n\n```sh\ncurl https://api.example.com/v1/invoices?limit=10\n```\n\nStill missing? [Contact support](https://example.com/support).'
csrf=$(curl -s -b jar -c jar "$BASE/ask" | token)
thread=$(post --data-urlencode "csrf=$csrf" --data-urlencode "title=Where do I find the invoice for my last payment?" --data-urlencode "body=$body" -d category=1 "$BASE/ask")
for i in $(seq 1 10); do
    post --data-urlencode "csrf=$csrf" --data-urlencode "body=$body (answer $i)" "${thread%/*}/answer" >/dev/null
done
curl -s "$thread" -o page.html
echo "thread page: $(grep -c 'class="post answer"' page.html) answers, $(wc -c <page.html) bytes; stylesheet: $(curl -s "$BASE/static/style.css" | wc -c) bytes"

for target in "$thread" "$BASE/static/style.css"; do
    echo "== $target (wrk -t2 -c$CONNECTIONS -d${DURATION}s)"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$target" | grep -E 'Requests/sec|Latency|50%|99%'
done
