#!/usr/bin/env bash
# Checks Kura's decision envelopes and JWK set with an independent JOSE library from PyPI (jwcrypto), as any
# verifier would, under both JOSE names of Ed25519 signatures: `EdDSA` (RFC 8037) and `Ed25519` (RFC 9864).
#
# For each name N: starts `kura serve --jose-alg N` on a fresh database, registers an agent and a provider,
# funds a mandate, asks POST /x402/verify for an envelope and GET /.well-known/jwks.json for the keys, and
# with jwcrypto (in a temporary virtualenv):
#   - verifies the envelope with the JWK of its kid, requiring alg N in the header and in the JWK;
#   - refuses the envelope with its payload tampered;
#   - signs the same decision again under the other name with Kura's key (read from the key file), and Kura
#     settles that envelope: Kura accepts both names, whichever it writes.
# Exits non-zero on any failure.
#
#   scripts/check-envelope.sh
#
# Environment: KURA_BIN (a prebuilt kura; default .build/debug/kura, built if missing). Needs python3 with venv
# and PyPI (scripts/test.sh runs it in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${KURA_BIN:-}" ]]; then
    [[ -x .build/debug/kura ]] || swift build --product kura >&2
    KURA_BIN="$PWD/.build/debug/kura"
fi
export KURA_BIN

venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check jwcrypto
echo "jwcrypto $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("jwcrypto"))') from PyPI"

check() {
    local alg="$1" other="$2"
    . scripts/lib/kura-server.sh
    kura_start_server --jose-alg "$alg"
    read -r agent agent_key <<<"$(register agent agent)"
    read -r provider provider_key <<<"$(register provider provider)"
    post "/v1/accounts/$agent/deposits" "$key" '{"asset":"USDC","amount":1000000}' >/dev/null
    expires=$(( $(date +%s) * 1000 + 86400000 ))
    mandate="$(json_field id <<<"$(post /v1/mandates "$agent_key" "{\"agent\":\"$agent\",\"asset\":\"USDC\",\"amount\":100000,\"perTxCap\":5000,\"dailyCap\":50000,\"allowedCounterparties\":[\"$provider\"],\"expiresAt\":$expires}")")"
    verify="$(post /x402/verify "$agent_key" "{\"amount\":2500,\"lane\":\"enterprise\",\"mandate\":\"$mandate\",\"agent\":\"$agent\",\"counterparty\":\"$provider\",\"resource\":\"https://api.example/weather\"}")"
    reservation="$(json_field reservationId <<<"$verify")"
    envelope="$(json_field envelope <<<"$verify")"
    curl -fsS "$url/.well-known/jwks.json" >"$work/jwks.json"
    echo "== kura serve --jose-alg $alg"
    echo "JWKS: $(cat "$work/jwks.json")"
    resigned="$(ALG="$alg" OTHER="$other" ENVELOPE="$envelope" RESERVATION="$reservation" \
        "$venv/bin/python" - "$work/jwks.json" "$work/bench.sqlite.key" <<'PY'
import base64, json, os, sys
from jwcrypto import jwk, jws
from jwcrypto.common import json_decode

alg, other, envelope = os.environ["ALG"], os.environ["OTHER"], os.environ["ENVELOPE"]
keys = jwk.JWKSet.from_json(open(sys.argv[1]).read())
token = jws.JWS()
token.deserialize(envelope)
header = token.jose_header
assert header["alg"] == alg, f"the envelope says alg {header['alg']}, not {alg}"
key = keys.get_key(header["kid"])
assert key is not None, f"kid {header['kid']} is not in the JWK set"
assert key.get("alg") == alg, f"the JWK says alg {key.get('alg')}, not {alg}"
token.verify(key, alg=alg)
payload = json_decode(token.payload)
assert payload["reservation"] == os.environ["RESERVATION"], "the payload names another reservation"
print(f"jwcrypto: signature VALID (alg {alg}, crv {key['crv']}, kid {header['kid']})", file=sys.stderr)

head, body, sig = envelope.split(".")
tampered = dict(payload, amount=2_500_000)
forged_body = base64.urlsafe_b64encode(json.dumps(tampered, separators=(",", ":")).encode()).rstrip(b"=").decode()
forged = jws.JWS()
forged.deserialize(".".join([head, forged_body, sig]))
try:
    forged.verify(key, alg=alg)
except jws.InvalidJWSSignature:
    print("jwcrypto: tampered payload (amount 2500000) REFUSED, as it must be", file=sys.stderr)
else:
    sys.exit("jwcrypto accepted a tampered envelope")

# The same decision signed by jwcrypto under the other name, with Kura's key from its key file
# (PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>).
seed = base64.b64decode(open(sys.argv[2]).read().strip().split("+", 4)[4])[1:]
private = jwk.JWK(kty="OKP", crv="Ed25519", d=base64.urlsafe_b64encode(seed).rstrip(b"=").decode(),
                  x=key["x"], alg=other)
again = jws.JWS(token.payload)
again.add_signature(private, alg=other, protected=json.dumps({"alg": other, "kid": header["kid"], "typ": "JWT"}))
print(again.serialize(compact=True))
print(f"jwcrypto: the decision signed again with alg {other}", file=sys.stderr)
PY
)"
    settle="$(curl -fsS -X POST "$url/x402/settle" -H "Authorization: Bearer $provider_key" \
        -H 'Content-Type: application/json' -d "{\"reservationId\":\"$reservation\",\"envelope\":\"$resigned\"}")"
    echo "POST /x402/settle with the $other envelope -> $settle"
    [[ "$(json_field idempotent <<<"$settle")" == "False" ]] || { echo "settle did not settle" >&2; exit 1; }
}

( check EdDSA Ed25519 )
( check Ed25519 EdDSA )
echo "envelopes: both JOSE names verified by jwcrypto and accepted by Kura"
