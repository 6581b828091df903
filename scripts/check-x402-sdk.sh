#!/usr/bin/env bash
# Checks Kura's x402 v2 headers with the official x402 Python SDK (PyPI package `x402`), installed into a
# temporary venv that is removed afterwards:
#   - PAYMENT-REQUIRED (Fixtures/x402/payment-required.header: the 402 of Docs/x402.md, both Kura schemes,
#     the payment-identifier extension) through the SDK's own 402 reader, x402HTTPClientBase.get_payment_required_response;
#   - PAYMENT-SIGNATURE (payment-signature.header: an escrow-scheme payment) and PAYMENT-RESPONSE
#     (payment-response.header: a refused settlement) through the SDK's header decoders;
#   - that the SDK's models, dumped again, equal the JSON Kura wrote (no field lost or renamed), and that
#     Kura's payment-identifier offer and ID are what the SDK's extension helpers declare and accept;
#   - and it writes the SDK's own re-encoding of Kura's two payments to Fixtures/x402/sdk-reencoded-*.header,
#     which Kura's tests decode and verify (commit them when they change).
# The fixtures are written and kept true by Tests/KuraX402Tests/X402DocsTests.swift.
# Then, live: it starts `kura serve` and `kura-example-provider --forecast-price 250` (the debug build, or
# KURA_BIN / PROVIDER_BIN), has the SDK's HTTPFacilitatorClientSync fetch GET /facilitator/supported, and decodes
# the provider's real 402 with the SDK's 402 reader (Docs/x402.md section 7).
#
#   scripts/check-x402-sdk.sh            # needs python3 with venv, and network access to PyPI
#   X402_SDK_VERSION='==2.25.0' scripts/check-x402-sdk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${X402_VENV:-$(mktemp -d)}"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "x402[extensions]${X402_SDK_VERSION:-}" httpx  # httpx: the SDK's HTTP facilitator client needs it
"$venv/bin/pip" show x402 | sed -n 's/^Version: /official x402 SDK (PyPI x402) version /p'

"$venv/bin/python" - <<'PY'
import base64, json, sys
from x402.http import decode_payment_signature_header, decode_payment_response_header
from x402.http.x402_http_client_base import x402HTTPClientBase
from x402.extensions.payment_identifier import (
    PAYMENT_IDENTIFIER, declare_payment_identifier_extension, extract_and_validate_payment_identifier)

def fixture(name):
    return open(f"Fixtures/x402/{name}.header").read().strip()

def kura_json(header):
    return json.loads(base64.b64decode(header, validate=True))

def same(model, header, what):
    dumped = json.loads(model.model_dump_json(by_alias=True, exclude_none=True))
    # The SDK fills an absent `extra` of a requirement with {}; Kura leaves it out.
    for requirement in dumped.get("accepts", []) + [dumped.get("accepted", {})]:
        if requirement.get("extra") == {}:
            del requirement["extra"]
    if dumped != kura_json(header):
        sys.exit(f"FAILED {what}: the SDK's model differs from Kura's JSON:\n{dumped}\n{kura_json(header)}")

failures = 0
required = fixture("payment-required")
headers = {"payment-required": required}
pr = x402HTTPClientBase().get_payment_required_response(lambda name: headers.get(name.lower()))
same(pr, required, "PAYMENT-REQUIRED")
print(f"PAYMENT-REQUIRED decoded by the SDK as {type(pr).__name__} x402Version={pr.x402_version} "
      f"resource={pr.resource.url}")
for r in pr.accepts:
    print(f"  accepts: scheme={r.scheme} network={r.network} amount={r.amount} asset={r.asset} "
          f"payTo={r.pay_to} maxTimeoutSeconds={r.max_timeout_seconds} extra={json.dumps(r.extra, sort_keys=True)}")
offer = pr.extensions[PAYMENT_IDENTIFIER]
if offer != declare_payment_identifier_extension(required=False):
    failures += 1
    print("FAILED: Kura's payment-identifier offer is not the SDK's declaration")
else:
    print("  extensions: payment-identifier offer equals the SDK's declare_payment_identifier_extension(False)")

signature = fixture("payment-signature")
pp = decode_payment_signature_header(signature)
same(pp, signature, "PAYMENT-SIGNATURE")
payment_id, validation = extract_and_validate_payment_identifier(pp)
print(f"PAYMENT-SIGNATURE decoded as {type(pp).__name__}: scheme={pp.accepted.scheme} network={pp.accepted.network} "
      f"payload keys={sorted(pp.payload)} payment id={payment_id} (SDK validation: {validation.valid})")
if not validation.valid or payment_id is None:
    failures += 1
    print(f"FAILED: the SDK refuses Kura's payment identifier: {validation}")

# What the SDK writes when it encodes Kura's payments again (as an SDK client forwarding them would):
# Tests/KuraX402Tests/X402DocsTests.swift checks that Kura decodes and verifies these bytes.
from x402.http import encode_payment_signature_header
for name in ("payment-signature", "payment-signature-exact"):
    again = encode_payment_signature_header(decode_payment_signature_header(fixture(name)))
    with open(f"Fixtures/x402/sdk-reencoded-{name}.header", "w") as out:
        out.write(again + "\n")
    print(f"{name}: re-encoded by the SDK into Fixtures/x402/sdk-reencoded-{name}.header "
          f"({'same bytes' if again == fixture(name) else 'other bytes: ' + str(len(again)) + ' characters'})")

response = fixture("payment-response")
sr = decode_payment_response_header(response)
same(sr, response, "PAYMENT-RESPONSE")
print(f"PAYMENT-RESPONSE decoded as {type(sr).__name__}: success={sr.success} errorReason={sr.error_reason} "
      f"network={sr.network} transaction={sr.transaction!r}")

sys.exit(1 if failures else 0)
PY

# Live: a fresh `kura serve` and the example provider with its x402 route /v1/forecast. The SDK's own
# facilitator client fetches GET /facilitator/supported, and its 402 reader decodes the provider's real 402.
# Binaries: KURA_BIN and PROVIDER_BIN, default the debug build (`swift build --product kura` and
# `--product kura-example-provider` first).
bin="$(swift build --show-bin-path 2>/dev/null)"
kura_bin="${KURA_BIN:-$bin/kura}"
provider_bin="${PROVIDER_BIN:-$bin/kura-example-provider}"
live="$(mktemp -d)"
pids=()
stop() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done; rm -rf "$live" "$venv"; }
trap stop EXIT
listening() { # log file → port
    for _ in $(seq 1 100); do
        port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$1" | head -n1)"
        [[ -n "$port" ]] && { echo "$port"; return; }
        sleep 0.1
    done
    cat "$1" >&2; exit 1
}
operator_key="$("$kura_bin" init --db "$live/k.sqlite" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["operatorApiKey"])')"
"$kura_bin" serve --db "$live/k.sqlite" --host 127.0.0.1 --port 0 --log-level warning --rate-limit 0 \
    --anonymous-rate-limit 0 >"$live/kura.log" 2>&1 &
pids+=($!)
kura="http://127.0.0.1:$(listening "$live/kura.log")"
provider_reply="$(curl -fsS -X POST "$kura/v1/parties" -H "Authorization: Bearer $operator_key" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"forecasts\",\"roles\":[\"provider\"],\"publicKey\":\"$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')\"}")"
provider_id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["party"]["id"])' <<<"$provider_reply")"
provider_key="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])' <<<"$provider_reply")"
"$provider_bin" --kura "$kura" --api-key "$provider_key" --provider "$provider_id" --asset USDC --price 7 \
    --journal "$live/provider.journal" --port 0 --forecast-price 250 --receipt-journal "$live/receipts.journal" \
    >"$live/provider.log" 2>&1 &
pids+=($!)
provider="http://127.0.0.1:$(listening "$live/provider.log")"

KURA_URL="$kura" PROVIDER_URL="$provider" "$venv/bin/python" - <<'PY'
import json, os, sys
import httpx
from x402.http import HTTPFacilitatorClientSync, FacilitatorConfig
from x402.http.x402_http_client_base import x402HTTPClientBase

kura, provider = os.environ["KURA_URL"], os.environ["PROVIDER_URL"]
supported = HTTPFacilitatorClientSync(FacilitatorConfig(url=f"{kura}/facilitator")).get_supported()
print(f"GET {kura}/facilitator/supported read by the SDK's HTTPFacilitatorClientSync as {type(supported).__name__}:")
for kind in supported.kinds:
    print(f"  kind: x402Version={kind.x402_version} scheme={kind.scheme} network={kind.network}")
print(f"  extensions={supported.extensions} signers={json.dumps(supported.signers)}")
if sorted(k.scheme for k in supported.kinds) != ["escrow", "exact"]:
    sys.exit("FAILED: /facilitator/supported does not list exact and escrow")

answer = httpx.get(f"{provider}/v1/forecast")
pr = x402HTTPClientBase().get_payment_required_response(lambda name: answer.headers.get(name))
print(f"GET {provider}/v1/forecast → {answer.status_code}; PAYMENT-REQUIRED decoded by the SDK as "
      f"{type(pr).__name__} resource={pr.resource.url}")
for r in pr.accepts:
    print(f"  accepts: scheme={r.scheme} network={r.network} amount={r.amount} asset={r.asset} payTo={r.pay_to} "
          f"maxTimeoutSeconds={r.max_timeout_seconds} extra={json.dumps(r.extra, sort_keys=True)}")
seed = {k: v for k, v in answer.headers.items() if k.lower().startswith("x-payment-")}
print(f"  seed headers: {json.dumps(seed, sort_keys=True)}")
if answer.status_code != 402 or {r.network for r in pr.accepts} != {k.network for k in supported.kinds}:
    sys.exit("FAILED: the provider's 402 does not offer the facilitator's network")
PY
echo "ok: the official x402 SDK reads Kura's PAYMENT-REQUIRED, PAYMENT-SIGNATURE and PAYMENT-RESPONSE headers, a live /facilitator/supported and a live provider's 402"
