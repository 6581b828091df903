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
init="$("$KURA_BIN" init --db "$db" --json)"
key="$(json_field operatorApiKey <<<"$init")"

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

post() { # path, bearer, body
    curl -fsS -X POST "$url$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"
}
pubkey() { python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'; }

payer_reply="$(post /v1/parties "$key" "{\"name\":\"bench payer\",\"roles\":[\"agent\"],\"publicKey\":\"$(pubkey)\"}")"
payer="$(json_field party.id <<<"$payer_reply")"
payer_key="$(json_field apiKey <<<"$payer_reply")"
payee="$(json_field party.id <<<"$(post /v1/parties "$key" "{\"name\":\"bench payee\",\"roles\":[\"provider\"],\"publicKey\":\"$(pubkey)\"}")")"
# 2^52 units: enough for far more escrows than any run opens.
post "/v1/accounts/$payer/deposits" "$key" '{"asset":"USDC","amount":4503599627370496}' >/dev/null

deliver_by=$(( $(date +%s) * 1000 + 7 * 86400000 ))
# Every request is a new escrow: no Idempotency-Key, so nothing is replayed.
cat >"$work/open-escrow.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"payee":"$payee","amount":1000,"asset":"USDC","deliverBy":$deliver_by}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $payer_key"
done = function(summary, latency, requests)
    io.write(string.format("non-2xx or errors: %d status, %d connect, %d read, %d write, %d timeout\n",
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
echo "== POST /v1/escrows (durable commits): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/open-escrow.lua" "$url/v1/escrows"
echo "RSS: $(rss)"
held="$(curl -fsS "$url/v1/accounts/$payer" -H "Authorization: Bearer $payer_key" | python3 -c 'import json, sys; print(json.load(sys.stdin)["balances"][0]["held"])')"
echo "escrows locked during the run: $(( held / 1000 ))"
