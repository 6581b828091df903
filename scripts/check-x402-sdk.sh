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
#
#   scripts/check-x402-sdk.sh            # needs python3 with venv, and network access to PyPI
#   X402_SDK_VERSION='==2.25.0' scripts/check-x402-sdk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "x402[extensions]${X402_SDK_VERSION:-}"
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

# TODO(x402 facilitator endpoints): fetch GET /facilitator/supported from a live `kura serve` and decode it
# with the SDK's SupportedResponse, and decode a provider's real 402, once those endpoints and the provider
# middleware exist (they are being built on another branch; this branch has no such route yet).
echo "ok: the official x402 SDK reads Kura's PAYMENT-REQUIRED, PAYMENT-SIGNATURE and PAYMENT-RESPONSE headers"
