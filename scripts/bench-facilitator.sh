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

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk…" >&2
    if [[ "$(id -u)" == 0 ]]; then apt-get install -y wrk >&2; else sudo apt-get install -y wrk >&2; fi
fi
if [[ -z "${KURA_BIN:-}" ]]; then
    swift build -c release --product kura >&2
    KURA_BIN="$(swift build -c release --show-bin-path)/kura"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" && wait "$server_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

json_field() { python3 -c 'import json, sys; d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }

db="$work/bench.sqlite"
key="$(json_field operatorApiKey <<<"$("$KURA_BIN" init --db "$db" --json)")"
"$KURA_BIN" serve --db "$db" --host 127.0.0.1 --port 0 --log-level warning >"$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$work/serve.log" | head -n1)"
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$port" ]] || { echo "the server did not say where it listens" >&2; exit 1; }
url="http://127.0.0.1:$port"

post() { curl -fsS -X POST "$url$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
pubkey() { python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'; }

agent_reply="$(post /v1/parties "$key" "{\"name\":\"bench agent\",\"roles\":[\"agent\"],\"publicKey\":\"$(pubkey)\"}")"
agent="$(json_field party.id <<<"$agent_reply")"
agent_key="$(json_field apiKey <<<"$agent_reply")"
provider="$(json_field party.id <<<"$(post /v1/parties "$key" "{\"name\":\"bench provider\",\"roles\":[\"provider\"],\"publicKey\":\"$(pubkey)\"}")")"
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

rss() { awk '/VmRSS/ { print $2 " kB" }' "/proc/$server_pid/status"; }
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
