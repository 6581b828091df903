#!/usr/bin/env bash
# The official x402 Python SDK with its Solana extra (PyPI `x402[svm]`) builds real `exact` payloads against
# Kura's GET /facilitator/supported and a Solana JSON-RPC stand-in; Kura verifies and settles them and refuses
# tampered copies with the standard reason codes (scripts/check-x402-svm.py). It writes
# Fixtures/solana/sdk-payloads.json, which the Swift tests replay (commit it when it changes).
#
# Kura is configured for devnet's CAIP-2 ID (the SDK's client knows only mainnet, devnet and testnet), with
# the stand-in as its RPC endpoint. Everything runs on 127.0.0.1 and is stopped at the end.
#
#   scripts/check-x402-svm.sh                    # needs python3 with venv, PyPI, and a debug build
#   X402_SDK_VERSION='==2.25.0' scripts/check-x402-svm.sh
#   X402_SVM_RECORD=/tmp/p.json scripts/check-x402-svm.sh   # CI (scripts/test.sh): check live, record elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${KURA_BIN_DIR:-.build/debug}"
work="$(mktemp -d)"
venv="${X402_VENV:-$work/venv}"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "x402[svm]${X402_SDK_VERSION:-==2.25.0}" httpx
fi
"$venv/bin/pip" show x402 | sed -n 's/^Version: /official x402 SDK (PyPI x402[svm]) version /p'

wait_line() { for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; cat "$1"; exit 1; }

"$BIN/kura-solana-stand-in" --port 0 > "$work/stand-in.out" 2>&1 & pids+=($!)
wait_line "$work/stand-in.out" "listening on"
standin="$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$work/stand-in.out")"

# Kura's fee payer, from a fixed seed (so the Swift tests can settle the recorded payloads as the same fee
# payer), written in Kura's key file format: PRIVATE+KEY+<name>+<key ID>+<base64(0x01 || seed)>.
"$venv/bin/python" - "$work/fee-payer.key" <<'PY'
import base64, hashlib, sys
from solders.keypair import Keypair
seed = hashlib.sha256(b"kura-x402-svm/fee-payer").digest()
public = bytes(Keypair.from_seed(seed).pubkey())
key_id = hashlib.sha256(b"fee-payer\n\x01" + public).digest()[:4].hex()
open(sys.argv[1], "w").write(f"PRIVATE+KEY+fee-payer+{key_id}+{base64.b64encode(bytes([1]) + seed).decode()}\n")
PY
"$BIN/kura" keys show --key "$work/fee-payer.key" --json
"$BIN/kura" init --db "$work/kura.sqlite" > /dev/null
"$BIN/kura" serve --db "$work/kura.sqlite" --port 0 --log-level warning \
  --solana-rpc "$standin" --solana-network solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1 \
  --solana-fee-payer-key "$work/fee-payer.key" --solana-confirm-timeout-ms 20000 > "$work/kura.out" 2>&1 & pids+=($!)
wait_line "$work/kura.out" "listening on"
kura="$(sed -n 's/^listening on \(.*\)$/\1/p' "$work/kura.out")"

"$venv/bin/python" scripts/check-x402-svm.py "$kura" "$standin" "${X402_SVM_RECORD:-Fixtures/solana/sdk-payloads.json}"
