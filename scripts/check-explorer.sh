#!/usr/bin/env bash
# Tests the explorer page (`GET /explorer`) in headless Chromium, as a person would see it: a fresh database
# with a few escrows (CLI, local mode), `kura serve` on it, then Chromium loads each view and the page checks
# everything in the browser (WebCrypto Ed25519 and SHA-256). From the rendered DOM this script requires:
#
#   - the log view: the latest checkpoint's signature verified, the newest receipts listed;
#   - a receipt: its bundle verified, all six checks of Docs/receipts.md passed;
#   - a party: its passport verified and its reputation over time drawn as an SVG chart;
#   - tampered bundles given in the link (#/bundle/…): an amount changed fails at `proof`, a checkpoint's root
#     changed fails at `signature`, both shown as NOT verified.
#
# Screenshots of the log, a receipt, a passport and a tampered bundle go to $KURA_EXPLORER_SHOTS (default .build/explorer-shots). Chromium comes from
# Debian (`chromium`), installed here when missing. CI runs this (scripts/test.sh); about ten Chromium
# starts (six pages, four of them also as screenshots) of a second or two each.
#
#   scripts/check-explorer.sh
#
# Environment: KURA_BIN (default .build/debug/kura, built if missing), KURA_EXPLORER_SHOTS.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium from Debian" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [[ -z "${KURA_BIN:-}" ]]; then
    [[ -x .build/debug/kura ]] || swift build --product kura >&2
    KURA_BIN="$PWD/.build/debug/kura"
fi
shots="$(mkdir -p "${KURA_EXPLORER_SHOTS:-.build/explorer-shots}" && cd "${KURA_EXPLORER_SHOTS:-.build/explorer-shots}" && pwd)"

. scripts/lib/kura-server.sh
kura_start_server --rate-limit 0
db="$work/bench.sqlite"
kura() { "$KURA_BIN" "$@" --db "$db"; }

# Parties and escrows, through the CLI on the same file the server serves.
"$KURA_BIN" keys generate --out "$work/alice.key" --name alice >/dev/null
"$KURA_BIN" keys generate --out "$work/bob.key" --name bob >/dev/null
alice="$(json_field party.id <<<"$(kura party add --name alice --role agent --key-file "$work/alice.key" --json)")"
bob="$(json_field party.id <<<"$(kura party add --name bob --role provider --key-file "$work/bob.key" --json)")"
kura deposit "$alice" --asset USDC --amount 1000000 >/dev/null
for amount in 25000 40000 12500 60000; do
    escrow="$(json_field id <<<"$(kura escrow open --payee "$bob" --amount "$amount" --asset USDC \
        --deliver-within 3600 --as "$alice" --json)")"
    kura escrow deliver "$escrow" --evidence "$(printf '%s' "$escrow" | sha256sum | cut -c1-64)" --as "$bob" >/dev/null
    kura escrow confirm "$escrow" --as "$alice" >/dev/null
done
escrow="$(json_field id <<<"$(kura escrow open --payee "$bob" --amount 5000 --asset USDC --deliver-within 3600 \
    --as "$alice" --json)")"
kura escrow cancel "$escrow" --as "$alice" >/dev/null

# The CLI wrote behind the server's back: its checkpointer signs the grown log on its next pass (at most a
# second away). Wait for the checkpoint of all 14 receipts, or the log view may load before it and list 13.
for _ in $(seq 1 150); do
    [[ "$(curl -fsS "$url/v1/log/checkpoint" 2>/dev/null | sed -n 2p)" == 14 ]] && break
    sleep 0.1
done

failures=0
# browse NAME VIEW [shot]: the rendered DOM of /explorer#VIEW in $work/NAME.html; with `shot`, a screenshot in
# $shots/NAME.png too (each is one Chromium start, the bulk of this script's time).
browse() {
    local chrome=(chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=10000)
    "${chrome[@]}" --dump-dom "$url/explorer#$2" >"$work/$1.html" 2>/dev/null
    if [[ "${3:-}" == shot ]]; then
        "${chrome[@]}" --window-size=1280,1100 --screenshot="$shots/$1.png" "$url/explorer#$2" >/dev/null 2>&1
    fi
    grep -q 'data-ready="true"' "$work/$1.html" || { echo "FAIL $1: the page did not finish" >&2; failures=$((failures + 1)); }
}
# expect NAME TEXT WHAT: the DOM of NAME holds TEXT.
expect() {
    if grep -qF -- "$2" "$work/$1.html"; then
        echo "ok   $1: $3"
    else
        echo "FAIL $1: $3 (no '$2'); the page showed:" >&2
        sed -n 's/.*<main[^>]*>\(.*\)/\1/p' "$work/$1.html" | head -c 600 >&2
        echo >&2
        failures=$((failures + 1))
    fi
}

browse log / shot
expect log 'data-verdict="valid"' "the checkpoint's signature verifies in the browser"
expect log '<tr data-index="13">' "the newest receipt (13) is listed"

browse receipt /receipt/4 shot
expect receipt 'data-verdict="valid"' "receipt 4's bundle verifies"
expect receipt 'data-check="proof" data-state="pass"' "its inclusion proof leads to the signed root"
[[ "$(grep -o 'data-state="pass"' "$work/receipt.html" | wc -l)" -eq 6 ]] && echo "ok   receipt: all six checks pass" \
    || { echo "FAIL receipt: not all six checks pass" >&2; failures=$((failures + 1)); }

browse party "/party/$bob" shot
expect party 'data-verdict="valid"' "bob's passport signature verifies"
expect party 'id="reputation-chart"' "the reputation chart is drawn"
expect party '<polyline class="provider"' "with the provider score's line"

# Tampered bundles travel in the link, so nothing of them comes from the server.
curl -fsS "$url/v1/receipts/4/bundle" >"$work/bundle.json"
link() { python3 - "$work/bundle.json" "$1" <<'PY'
import base64, json, sys
bundle = json.load(open(sys.argv[1]))
if sys.argv[2] == "amount":
    bundle["receipt"]["amount"] += 1
elif sys.argv[2] == "root":
    lines = bundle["checkpoint"].split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    bundle["checkpoint"] = "\n".join(lines)
text = json.dumps(bundle, separators=(",", ":")).encode()
print(base64.urlsafe_b64encode(text).decode().rstrip("="))
PY
}
browse genuine "/bundle/$(link none)"
expect genuine 'data-verdict="valid"' "the untouched bundle, given in the link, verifies"
browse tampered "/bundle/$(link amount)" shot
expect tampered 'data-verdict="invalid" data-check="proof"' "a bundle with its amount raised by 1 fails at proof"
browse forged-checkpoint "/bundle/$(link root)"
expect forged-checkpoint 'data-verdict="invalid" data-check="signature"' "a bundle whose checkpoint root was replaced fails at signature"

echo "screenshots: $shots"
if [[ "$failures" -gt 0 ]]; then echo "$failures explorer check(s) failed" >&2; exit 1; fi
echo "explorer: all checks passed in $(chromium --version 2>/dev/null | head -n1)"
