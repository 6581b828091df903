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

. scripts/lib/kura-server.sh
kura_require_wrk
# Benchmarks measure the server, not its limits on anonymous public requests (Docs/reliability.md).
kura_start_server --rate-limit 0 --anonymous-rate-limit 0


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

echo "kura serve pid $server_pid at $url; RSS at start: $(rss)"
echo
echo "== GET /healthz (baseline): $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/healthz"
echo "RSS: $(rss)"
echo
echo "== GET /v1/reputation/$provider: $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/v1/reputation/$provider"
echo "RSS: $(rss)"
