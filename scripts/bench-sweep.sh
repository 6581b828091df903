#!/usr/bin/env bash
# The server's sweeper under a backlog: opens escrows over HTTP for DURATION (wrk, as bench-http.sh does), all
# due a few seconds after the load ends, then lets `kura serve`'s own sweeper expire every one of them and prints
# how fast it did, beside the rate they were opened at (the same writer, the same host, minutes apart).
#
#   scripts/bench-sweep.sh [duration in seconds, default 5s] [connections, default 64]
#
# The sweep's rate is the expired escrows over the span of their events' times in the log, and over the wall
# time from the moment they fell due to the last one expired (polled every 0.1 s).
# Environment: KURA_BIN (a prebuilt kura; default: build `-c release`). Not run in CI. Record results in
# Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-5s}"
connections="${2:-64}"

. scripts/lib/kura-server.sh
kura_require_wrk
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed (apt-get install sqlite3)" >&2; exit 1; }
kura_start_server --rate-limit 0 --anonymous-rate-limit 0

seconds="${duration%s}"
due_at=$(( ($(date +%s) + seconds + 5) * 1000 ))
escrow_script "$url" "$key" "$work/open-escrow.lua" "$due_at"
echo "== POST /v1/escrows, due at $due_at: $connections connections, $duration"
wrk -t2 -c"$connections" -d"$duration" -s "$work/open-escrow.lua" "$url/v1/escrows" | grep -E "Requests/sec|non-2xx"
count() { sqlite3 -cmd ".timeout 10000" "$work/bench.sqlite" "SELECT count(*) FROM events WHERE type = '$1'"; }
sleep 1  # the requests wrk left in flight
opened="$(count escrow.locked)"
echo "opened $opened escrows; waiting for them to fall due"
while (( $(date +%s%3N) < due_at )); do sleep 0.05; done
until (( $(count escrow.expired) >= opened )); do
    sleep 0.1
    (( $(date +%s%3N) - due_at < 600000 )) || { echo "the sweeper did not finish in 10 minutes" >&2; exit 1; }
done
finished="$(date +%s%3N)"
sqlite3 -cmd ".timeout 10000" "$work/bench.sqlite" "SELECT count(*), max(at) - min(at) FROM events WHERE type = 'escrow.expired'" |
    awk -F'|' -v wall=$(( finished - due_at )) '{
        printf "swept %d escrows: %.0f/s over their events'"'"' times (%d ms), %.0f/s from falling due to the last (%d ms)\n",
            $1, $1 * 1000 / ($2 > 0 ? $2 : 1), $2, $1 * 1000 / wall, wall }'
