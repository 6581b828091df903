#!/usr/bin/env bash
# Sets up what is missing, builds Kura, and serves it on ./kura.sqlite at http://127.0.0.1:8402.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product kura
exec .build/release/kura serve "$@"
