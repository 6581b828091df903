#!/usr/bin/env bash
# Checks a Kura decision envelope with an independent JOSE library from PyPI (jwcrypto), as any verifier would:
# starts a `kura serve` on a fresh database, registers an agent and a provider, funds a mandate, asks
# POST /x402/verify for an envelope, fetches GET /.well-known/jwks.json, and verifies the JWS (alg EdDSA,
# Ed25519) with jwcrypto in a temporary virtualenv. Prints the header, the payload and the verdict; exits
# non-zero if the library refuses the envelope or accepts a tampered one.
#
#   scripts/check-envelope.sh
#
# Environment: KURA_BIN (a prebuilt kura; default .build/debug/kura, built if missing). Needs python3 with
# venv and network access to PyPI. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${KURA_BIN:-}" ]]; then
    [[ -x .build/debug/kura ]] || swift build --product kura >&2
    KURA_BIN=.build/debug/kura
fi

. scripts/lib/kura-server.sh
kura_start_server

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check jwcrypto
echo "jwcrypto $("$work/venv/bin/python" -c 'import jwcrypto, importlib.metadata as m; print(m.version("jwcrypto"))') from PyPI"

read -r agent agent_key <<<"$(register agent agent)"
read -r provider _ <<<"$(register provider provider)"
post "/v1/accounts/$agent/deposits" "$key" '{"asset":"USDC","amount":1000000}' >/dev/null
expires=$(( $(date +%s) * 1000 + 86400000 ))
mandate="$(json_field id <<<"$(post /v1/mandates "$agent_key" "{\"agent\":\"$agent\",\"asset\":\"USDC\",\"amount\":100000,\"perTxCap\":5000,\"dailyCap\":50000,\"allowedCounterparties\":[\"$provider\"],\"expiresAt\":$expires}")")"
verify="$(post /x402/verify "$agent_key" "{\"amount\":2500,\"lane\":\"enterprise\",\"mandate\":\"$mandate\",\"agent\":\"$agent\",\"counterparty\":\"$provider\",\"resource\":\"https://api.example/weather\"}")"
envelope="$(json_field envelope <<<"$verify")"
echo "POST /x402/verify -> $verify"
curl -fsS "$url/.well-known/jwks.json" >"$work/jwks.json"

echo "JWKS: $(cat "$work/jwks.json")"
echo "envelope: $envelope"
ENVELOPE="$envelope" RESERVATION="$(json_field reservationId <<<"$verify")" "$work/venv/bin/python" - "$work/jwks.json" <<'PY'
import json, os, sys
from jwcrypto import jwk, jws
from jwcrypto.common import json_decode

keys = jwk.JWKSet.from_json(open(sys.argv[1]).read())
envelope = os.environ["ENVELOPE"]
token = jws.JWS()
token.deserialize(envelope)
kid = token.jose_header["kid"]
key = keys.get_key(kid)
assert key is not None, f"kid {kid} is not in the JWK set"
token.verify(key, alg="EdDSA")
payload = json_decode(token.payload)
print("header:", json.dumps(token.jose_header, sort_keys=True))
print("payload:", json.dumps(payload, sort_keys=True))
assert payload["reservation"] == os.environ["RESERVATION"], "the payload names another reservation"
print(f"jwcrypto: signature VALID (alg EdDSA, crv {key['crv']}, kid {kid})")

head, body, sig = envelope.split(".")
tampered = json.loads(token.payload)
tampered["amount"] = 2_500_000
import base64
forged_body = base64.urlsafe_b64encode(json.dumps(tampered, separators=(",", ":")).encode()).rstrip(b"=").decode()
forged = jws.JWS()
forged.deserialize(".".join([head, forged_body, sig]))
try:
    forged.verify(key, alg="EdDSA")
except jws.InvalidJWSSignature:
    print("jwcrypto: tampered payload (amount 2500000) REFUSED, as it must be")
else:
    sys.exit("jwcrypto accepted a tampered envelope")
PY
settle="$(curl -fsS -D "$work/settle.headers" -X POST "$url/x402/settle" -H "Authorization: Bearer $agent_key" \
    -H 'Content-Type: application/json' \
    -d "{\"reservationId\":\"$(json_field reservationId <<<"$verify")\",\"envelope\":\"$envelope\"}")"
echo "POST /x402/settle -> $settle"
grep -i '^kura-' "$work/settle.headers" | tr -d '\r'
