#!/usr/bin/env bash
# Load-tests GET /v1/reputation/{party} on a live `kura serve` (release build) with wrk, beside GET /healthz
# as the baseline in the same run, at 64 connections for ~10 s each. Before the load, a small history
# (escrows confirmed, disputed, refunded) gives the party a real report. Prints wrk's requests/s and
# latency percentiles and the server's resident memory.
#
#   scripts/bench-reputation-http.sh [duration, default 10s] [connections, default 64]
#
# Environment: KURA_BIN (a prebuilt kura; default: build `-c release`), WRK_THREADS (default 2).
# Not run in CI. Record results in Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10s}"
connections="${2:-64}"
threads="${WRK_THREADS:-2}"

command -v wrk >/dev/null 2>&1 || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
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

post() { # path, bearer, body
    curl -fsS -X POST "$url$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"
}
pubkey() { python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'; }
register() { # name, role → "id key"
    local reply
    reply="$(post /v1/parties "$key" "{\"name\":\"$1\",\"roles\":[\"$2\"],\"publicKey\":\"$(pubkey)\"}")"
    echo "$(json_field party.id <<<"$reply") $(json_field apiKey <<<"$reply")"
}

read -r provider provider_key <<<"$(register "bench provider" provider)"
deliver_by=$(( $(date +%s) * 1000 + 86400000 ))
evidence="$(printf 'bench' | sha256sum | cut -d' ' -f1)"
for n in $(seq 1 12); do
    read -r payer payer_key <<<"$(register "bench payer $n" agent)"
    post "/v1/accounts/$payer/deposits" "$key" '{"asset":"USDC","amount":100000000}' >/dev/null
    for m in 1 2; do
        escrow="$(json_field id <<<"$(post /v1/escrows "$payer_key" "{\"payee\":\"$provider\",\"amount\":$(( 1000000 * n * m )),\"asset\":\"USDC\",\"deliverBy\":$deliver_by}")")"
        post "/v1/escrows/$escrow/deliver" "$provider_key" "{\"evidence\":\"$evidence\"}" >/dev/null
        if (( n % 6 == 0 && m == 2 )); then
            post "/v1/escrows/$escrow/dispute" "$payer_key" '{"reason":"late"}' >/dev/null
            post "/v1/escrows/$escrow/refund" "$provider_key" '{}' >/dev/null
        else
            post "/v1/escrows/$escrow/confirm" "$payer_key" '{}' >/dev/null
        fi
    done
done
echo "the report under load:"
curl -fsS "$url/v1/reputation/$provider"; echo

rss() { awk '/VmRSS/ { print $2 " kB" }' "/proc/$server_pid/status"; }
echo "kura serve pid $server_pid at $url; RSS at start: $(rss)"
echo
echo "== GET /healthz (baseline): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/healthz"
echo "RSS: $(rss)"
echo
echo "== GET /v1/reputation/$provider: $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/v1/reputation/$provider"
echo "RSS: $(rss)"
