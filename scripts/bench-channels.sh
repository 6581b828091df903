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

. scripts/lib/kura-server.sh
kura_build_release kura kura-example-provider
bin="$KURA_RELEASE_DIR"
# Benchmarks measure the server, not its limits on anonymous public requests (Docs/reliability.md).
kura_start_server --rate-limit 0 --anonymous-rate-limit 0
kura="$url"
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
kura_pids+=($!)
provider_url="http://127.0.0.1:$(wait_listening "$work/provider.log" "$!")"

"$bin/kura" bench channels --kura "$kura" --agent-api-key "$(json_field apiKey <<<"$agent")" \
    --agent-key-file "$work/agent.key" --provider "$provider_id" --provider-api-key "$provider_key" \
    --provider-url "$provider_url" --connections "$connections" --seconds "$seconds"
