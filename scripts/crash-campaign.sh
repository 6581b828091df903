#!/usr/bin/env bash
# The long form of the crash campaign (Docs/reliability.md): `kura serve` under mixed load (escrows,
# disputes, facilitator verify/settle, channels, x402) killed with SIGKILL KURA_CRASH_KILLS times (default
# 10); after each kill every acknowledged answer must be in the file, `kura log verify` must pass, the
# ledger must sum to zero and the projections must equal a replay. CI runs the same test with 2 kills.
#
#   scripts/crash-campaign.sh            # 10 kills
#   KURA_CRASH_KILLS=25 scripts/crash-campaign.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export KURA_CRASH_KILLS="${KURA_CRASH_KILLS:-10}"
swift build --build-tests >&2
swift test --skip-build --filter CrashCampaignTests 2>&1 | grep -E "crash campaign:|✘|✔ Test|Test run"
