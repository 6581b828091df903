#!/usr/bin/env bash
# Load-tests the facilitator over HTTP with wrk against a live `kura serve` (release build, durable commits):
# GET /healthz as the baseline, then verify+settle pairs on the enterprise lane (each connection verifies,
# then settles what it verified), at 64 connections. Prints wrk's requests/s and latency percentiles (over
# verify and settle requests alike), the pairs settled per second, and the server's memory.
#
#   scripts/bench-facilitator.sh [duration, default 10s] [connections, default 64]
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


read -r agent agent_key <<<"$(register "bench agent" agent)"
read -r provider _ <<<"$(register "bench provider" provider)"
post "/v1/accounts/$agent/deposits" "$key" '{"asset":"USDC","amount":4503599627370496}' >/dev/null
expires=$(( $(date +%s) * 1000 + 7 * 86400000 ))
mandate="$(json_field id <<<"$(post /v1/mandates "$agent_key" "{\"agent\":\"$agent\",\"asset\":\"USDC\",\"amount\":4503599627370496,\"perTxCap\":1000,\"dailyCap\":4503599627370496,\"allowedCounterparties\":[],\"expiresAt\":$expires}")")"

# Each wrk thread keeps a queue of verified reservations; the next request settles one if any is waiting,
# else verifies a new one. The agent settles its own reservations (the agent, the counterparty or an
# operator may), so one API key serves both calls. No Idempotency-Key: nothing is replayed.
cat >"$work/pairs.lua" <<LUA
local verify_body = '{"amount":1000,"lane":"enterprise","mandate":"$mandate","agent":"$agent","counterparty":"$provider"}'
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $agent_key" }
local queue = {}
settled, verified, refused, idempotent = 0, 0, 0, 0
local threads = {}

function setup(thread) table.insert(threads, thread) end

function request()
    local next = table.remove(queue)
    if next then
        return wrk.format("POST", "/x402/settle", headers,
            '{"reservationId":"' .. next[1] .. '","envelope":"' .. next[2] .. '"}')
    end
    return wrk.format("POST", "/x402/verify", headers, verify_body)
end

function response(status, hdrs, body)
    if status ~= 200 then refused = refused + 1; return end
    local id = string.match(body, '"reservationId":"([^"]+)"')
    if id then
        verified = verified + 1
        table.insert(queue, { id, string.match(body, '"envelope":"([^"]+)"') })
    elseif string.find(body, '"txSignature"', 1, true) then
        settled = settled + 1
        if string.find(body, '"idempotent":true', 1, true) then idempotent = idempotent + 1 end
    end
end

function done(summary, latency, requests)
    local s, v, r, i = 0, 0, 0, 0
    for _, t in ipairs(threads) do
        s = s + t:get("settled"); v = v + t:get("verified"); r = r + t:get("refused"); i = i + t:get("idempotent")
    end
    local seconds = summary.duration / 1e6
    io.write(string.format("verified %d, settled %d (idempotent %d), non-200 %d\n", v, s, i, r))
    io.write(string.format("verify+settle pairs/s: %.0f\n", s / seconds))
    io.write(string.format("errors: %d status, %d connect, %d read, %d write, %d timeout\n",
        summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
LUA

echo "kura serve pid $server_pid at $url; RSS at start: $(rss)"
echo
echo "== GET /healthz (baseline): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/healthz"
echo "RSS: $(rss)"
echo
echo "== verify+settle pairs (durable commits): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/pairs.lua" "$url/x402/verify"
echo "RSS: $(rss)"
curl -fsS "$url/v1/mandates/$mandate" -H "Authorization: Bearer $agent_key" \
    | python3 -c 'import json, sys; m = json.load(sys.stdin); print("mandate spent today:", m["spentToday"], "units")'
