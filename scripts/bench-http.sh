#!/usr/bin/env bash
# Load-tests a live `kura serve` (release build) with wrk: GET /healthz as the baseline, then
# POST /v1/escrows with durable commits, at 64 connections for ~10 s each, printing wrk's
# requests/s and latency percentiles, and the server's resident memory before and after.
#
#   scripts/bench-http.sh [duration, default 10s] [connections, default 64]
#
# Environment: KURA_BIN (a prebuilt kura; default: build `-c release`), WRK_THREADS (default 2).
# Not run in CI. Record results in Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10s}"
connections="${2:-64}"
threads="${WRK_THREADS:-2}"

. scripts/lib/kura-server.sh
kura_require_wrk
# Benchmarks measure the server, not its limits on anonymous public requests (Docs/reliability.md).
kura_start_server --rate-limit 0 --anonymous-rate-limit 0

escrow_script "$url" "$key" "$work/open-escrow.lua"
payer="$escrow_payer" payer_key="$escrow_payer_key"

echo "kura serve pid $server_pid at $url; RSS at start: $(rss)"
echo
echo "== GET /healthz (baseline): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/healthz"
echo "RSS: $(rss)"
echo
echo "== POST /v1/escrows (durable commits): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/open-escrow.lua" "$url/v1/escrows"
echo "RSS: $(rss)"
held="$(curl -fsS "$url/v1/accounts/$payer" -H "Authorization: Bearer $payer_key" | python3 -c 'import json, sys; print(json.load(sys.stdin)["balances"][0]["held"])')"
echo "escrows locked during the run: $(( held / 1000 ))"
