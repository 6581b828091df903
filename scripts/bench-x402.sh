#!/usr/bin/env bash
# Load-tests the x402 provider middleware with the `exact` scheme: release builds of `kura serve` and
# `kura-example-provider --forecast-price 250` on loopback, wrk at 64 connections against, in one run:
#   1. GET /free/forecast: the same handler with no middleware (the baseline);
#   2. GET /v1/forecast unpaid: the middleware's 402 (both header sets);
#   3. GET /v1/forecast paid, the provider settling after serving (the default): every request a distinct,
#      pre-signed PAYMENT-SIGNATURE (exact scheme), verified and settled through Kura's facilitator (two HTTP
#      calls, one durable commit per request);
#   4. the same against a second provider settling before serving (`--forecast-settlement before-serving`):
#      one call to Kura, settle, per paid request.
# For each paid step it prints the CPU time Kura and the provider spent per paid request (from /proc), and
# the paid requests counted by the provider's balance. The signed headers are made just before step 3 by
# scripts/x402-bench-headers.py (Python `cryptography`, Ed25519 over the RFC 8785 bytes of the
# authorization) for the payer's key; they are valid 60 s.
#
#   scripts/bench-x402.sh [duration, default 10s] [connections, default 64]
#
# Environment: KURA_BIN, PROVIDER_BIN (prebuilt release binaries; default: build `-c release`), WRK_THREADS
# (default 2), PAID_HEADERS (per paid step, default 40000), ORDERS (default "after-serving before-serving"),
# PERF_OUT (a directory: records Kura and the provider with perf during each paid step). Not run in CI.
# Record results in Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10s}"
connections="${2:-64}"
threads="${WRK_THREADS:-2}"
count="${PAID_HEADERS:-40000}"

command -v wrk >/dev/null 2>&1 || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
if [[ -z "${KURA_BIN:-}" || -z "${PROVIDER_BIN:-}" ]]; then
    swift build -c release --product kura >&2
    swift build -c release --product kura-example-provider >&2
    bin="$(swift build -c release --show-bin-path)"
    KURA_BIN="${KURA_BIN:-$bin/kura}"
    PROVIDER_BIN="${PROVIDER_BIN:-$bin/kura-example-provider}"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
json_field() { python3 -c 'import json, sys; d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }
listening() {
    for _ in $(seq 1 100); do
        port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$1" | head -n1)"
        [[ -n "$port" ]] && { echo "$port"; return; }
        sleep 0.1
    done
    cat "$1" >&2; exit 1
}

db="$work/bench.sqlite"
key="$(json_field operatorApiKey <<<"$("$KURA_BIN" init --db "$db" --json)")"
"$KURA_BIN" serve --db "$db" --host 127.0.0.1 --port 0 --log-level warning --rate-limit 0 --anonymous-rate-limit 0 \
    >"$work/serve.log" 2>&1 &
pids+=($!)
kura="http://127.0.0.1:$(listening "$work/serve.log")"
post() { curl -fsS -X POST "$kura$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }

seed="$(python3 -c 'import os; print(os.urandom(32).hex())')"
payer_pub="$(python3 scripts/x402-bench-headers.py public-key "$seed")"
payer="$(json_field party.id <<<"$(post /v1/parties "$key" "{\"name\":\"bench payer\",\"roles\":[\"agent\"],\"publicKey\":\"$payer_pub\"}")")"
provider_reply="$(post /v1/parties "$key" "{\"name\":\"bench provider\",\"roles\":[\"provider\"],\"publicKey\":\"$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')\"}")"
provider="$(json_field party.id <<<"$provider_reply")"
provider_key="$(json_field apiKey <<<"$provider_reply")"
post "/v1/accounts/$payer/deposits" "$key" '{"asset":"USDC","amount":4503599627370496}' >/dev/null

orders=(${ORDERS:-after-serving before-serving})
declare -A urls provider_pids
for order in "${orders[@]}"; do
    "$PROVIDER_BIN" --kura "$kura" --api-key "$provider_key" --provider "$provider" --asset USDC --price 7 \
        --journal "$work/provider-$order.journal" --port 0 --forecast-price 250 --forecast-schemes exact \
        --forecast-settlement "$order" --public-url http://bench.provider >"$work/provider-$order.log" 2>&1 &
    pids+=($!)
    provider_pids[$order]=$!
    urls[$order]="http://127.0.0.1:$(listening "$work/provider-$order.log")"
done
url="${urls[${orders[0]}]}"
network="$(json_field 'kinds' <<<"$(curl -fsS "$kura/facilitator/supported")" | python3 -c 'import ast, sys; print(ast.literal_eval(sys.stdin.read())[0]["network"])')"
echo "kura serve at $kura, provider at $url, network $network"

echo
echo "== GET /free/forecast (no middleware, baseline): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/free/forecast"
echo
echo "== GET /v1/forecast unpaid (402 with both header sets): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/v1/forecast"

python3 scripts/x402-bench-headers.py headers "$seed" "$payer" "$provider" "$network" \
    "http://bench.provider/v1/forecast" "$(( count * ${#orders[@]} ))" >"$work/headers-all.txt"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second="$(getconf CLK_TCK)"
kura_pid="${pids[0]}"
balance() {
    curl -fsS "$kura/v1/accounts/$provider" -H "Authorization: Bearer $provider_key" \
        | python3 -c 'import json, sys; b = json.load(sys.stdin)["balances"]; print(b[0]["available"] if b else 0)'
}
step=0
for order in "${orders[@]}"; do
    sed -n "$(( step * count + 1 )),$(( (step + 1) * count ))p" "$work/headers-all.txt" >"$work/headers.txt"
    step=$(( step + 1 ))
    cat >"$work/paid.lua" <<LUA
local counter = 0
local threads = {}
function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end
function init(args)
    headers = {}
    local n = 0
    for line in io.lines("$work/headers.txt") do
        if n % $threads == id then table.insert(headers, line) end
        n = n + 1
    end
    next_header = 0
end
function request()
    next_header = next_header + 1
    if next_header > #headers then
        return wrk.format("GET", "/v1/forecast")  -- out of headers: an unpaid request (counted as non-2xx)
    end
    return wrk.format("GET", "/v1/forecast", { ["PAYMENT-SIGNATURE"] = headers[next_header] })
end
done = function(summary, latency, requests)
    io.write(string.format("non-2xx or errors: %d status, %d connect, %d read, %d write, %d timeout\n",
        summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
LUA
    provider_pid="${provider_pids[$order]}"
    before_balance="$(balance)"
    kura_before="$(cpu_ticks "$kura_pid")"
    provider_before="$(cpu_ticks "$provider_pid")"
    if [[ -n "${PERF_OUT:-}" ]]; then
        perf record -q -F 499 --call-graph dwarf,16384 -p "$kura_pid" -o "$PERF_OUT/kura-$order.data" 2>/dev/null &
        perf_kura=$!
        perf record -q -F 499 --call-graph dwarf,16384 -p "$provider_pid" -o "$PERF_OUT/provider-$order.data" \
            2>/dev/null &
        perf_provider=$!
    fi
    echo
    echo "== GET /v1/forecast paid, settled $order (exact, a distinct signed authorization each): $connections connections, $duration"
    wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/paid.lua" "${urls[$order]}/v1/forecast"
    kura_ticks=$(( $(cpu_ticks "$kura_pid") - kura_before ))
    provider_ticks=$(( $(cpu_ticks "$provider_pid") - provider_before ))
    if [[ -n "${PERF_OUT:-}" ]]; then kill -INT "$perf_kura" "$perf_provider"; wait "$perf_kura" "$perf_provider" || true; fi
    paid=$(( ($(balance) - before_balance) / 250 ))
    echo "settled $order: $paid paid requests (the provider's balance rose by $paid × 250 USDC units, fee 0 at this price)"
    if (( paid > 0 )); then
        echo "CPU per paid request: Kura $(( kura_ticks * 1000000 / ticks_per_second / paid )) µs," \
            "provider $(( provider_ticks * 1000000 / ticks_per_second / paid )) µs"
    fi
done
