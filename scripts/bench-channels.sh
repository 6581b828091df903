#!/usr/bin/env bash
# Paid calls per second through the channel-voucher middleware (kura-example-provider's GET /v1/quote)
# beside the same handler unpaid (GET /free/quote) in the same run, 64 connections each owning one
# channel; then channel settlements per second against `kura serve`. Release builds, loopback.
#
#   scripts/bench-channels.sh [seconds per phase, default 10] [connections, default 64]
#
# Not run in CI. Record results in Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
connections="${2:-64}"

swift build -c release --product kura >&2
swift build -c release --product kura-example-provider >&2
bin="$(swift build -c release --show-bin-path)"

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
wait_port() { # log file
    for _ in $(seq 1 100); do
        port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$1" | head -n1)"
        [[ -n "$port" ]] && { echo "$port"; return; }
        sleep 0.1
    done
    cat "$1" >&2; exit 1
}

db="$work/bench.sqlite"
key="$(json_field operatorApiKey <<<"$("$bin/kura" init --db "$db" --json)")"
"$bin/kura" serve --db "$db" --port 0 --log-level warning >"$work/serve.log" 2>&1 &
pids+=($!)
kura="http://127.0.0.1:$(wait_port "$work/serve.log")"
S=(--server "$kura" --api-key "$key")
"$bin/kura" keys generate --out "$work/agent.key" --name agent >/dev/null
"$bin/kura" keys generate --out "$work/provider.key" --name provider >/dev/null
agent="$("$bin/kura" party add --name agent --role agent --key-file "$work/agent.key" "${S[@]}" --json)"
provider="$("$bin/kura" party add --name provider --role provider --key-file "$work/provider.key" "${S[@]}" --json)"
agent_id="$(json_field party.id <<<"$agent")"
provider_id="$(json_field party.id <<<"$provider")"
provider_key="$(json_field apiKey <<<"$provider")"
"$bin/kura" deposit "$agent_id" --asset USDC --amount 4503599627370496 "${S[@]}" >/dev/null

"$bin/kura-example-provider" --kura "$kura" --api-key "$provider_key" --provider "$provider_id" --asset USDC \
    --price 1 --journal "$work/provider.journal" --port 0 >"$work/provider.log" 2>&1 &
pids+=($!)
provider_url="http://127.0.0.1:$(wait_port "$work/provider.log")"

"$bin/kura" bench channels --kura "$kura" --agent-api-key "$(json_field apiKey <<<"$agent")" \
    --agent-key-file "$work/agent.key" --provider "$provider_id" --provider-api-key "$provider_key" \
    --provider-url "$provider_url" --connections "$connections" --seconds "$seconds"
