#!/usr/bin/env bash
# Server memory over a long escrow run: POST /v1/escrows (durable) at 64 connections in 10-second slices
# until TARGET escrows are locked (default 1,000,000), printing after each slice the escrows so far, the
# slice's rate, the server's RSS and SQLite's own memory (kura_sqlite_memory_bytes). RSS must level off.
#
#   scripts/bench-escrow-memory.sh [target escrows, default 1000000] [connections, default 64]
#
# Environment: KURA_BIN (a prebuilt kura; default: build `-c release`), SERVE_FLAGS (extra `kura serve`
# flags, e.g. "--sqlite-cache-mib 16"). Not run in CI. Record results in Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-1000000}"
connections="${2:-64}"

. scripts/lib/kura-server.sh
kura_require_wrk
# shellcheck disable=SC2086
kura_start_server --rate-limit 0 --anonymous-rate-limit 0 ${SERVE_FLAGS:-}

escrow_script "$url" "$key" "$work/open-escrow.lua"
payer="$escrow_payer" payer_key="$escrow_payer_key"

locked() {
    curl -fsS "$url/v1/accounts/$payer" -H "Authorization: Bearer $payer_key" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["balances"][0]["held"] // 1000)'
}
sqlite_memory() { curl -fsS "$url/metrics" -H "Authorization: Bearer $key" | awk '/^kura_sqlite_memory_bytes/ { printf "%d", $2 }'; }

echo "kura serve pid $server_pid; RSS at start: $(rss); target $target escrows"
printf '%8s %10s %10s %12s %14s\n' seconds escrows "per s" "RSS kB" "sqlite bytes"
start=$(date +%s); count=0
while (( count < target )); do
    before=$count
    wrk -t2 -c"$connections" -d10s -s "$work/open-escrow.lua" "$url/v1/escrows" >/dev/null
    count=$(locked)
    printf '%8d %10d %10d %12s %14s\n' $(( $(date +%s) - start )) "$count" $(( (count - before) / 10 )) \
        "$(awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status")" "$(sqlite_memory)"
done
echo "database file: $(du -h "$work/bench.sqlite" | cut -f1)"
