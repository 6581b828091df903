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

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" && wait "$server_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check jwcrypto
echo "jwcrypto $("$work/venv/bin/python" -c 'import jwcrypto, importlib.metadata as m; print(m.version("jwcrypto"))') from PyPI"

json_field() { python3 -c 'import json, sys; d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }

db="$work/kura.sqlite"
key="$(json_field operatorApiKey <<<"$("$KURA_BIN" init --db "$db" --json)")"
"$KURA_BIN" serve --db "$db" --host 127.0.0.1 --port 0 --log-level warning >"$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$work/serve.log" | head -n1)"
    [[ -n "$port" ]] && break
    sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/serve.log" >&2; exit 1; }
url="http://127.0.0.1:$port"

post() { curl -fsS -X POST "$url$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
pubkey() { python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'; }

agent_reply="$(post /v1/parties "$key" "{\"name\":\"agent\",\"roles\":[\"agent\"],\"publicKey\":\"$(pubkey)\"}")"
agent="$(json_field party.id <<<"$agent_reply")"
agent_key="$(json_field apiKey <<<"$agent_reply")"
provider="$(json_field party.id <<<"$(post /v1/parties "$key" "{\"name\":\"provider\",\"roles\":[\"provider\"],\"publicKey\":\"$(pubkey)\"}")")"
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
