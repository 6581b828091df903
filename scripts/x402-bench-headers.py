#!/usr/bin/env python3
"""Pre-signs x402 v2 PAYMENT-SIGNATURE headers for Kura's `exact` scheme, for scripts/bench-x402.sh.

  x402-bench-headers.py public-key <seed hex>          → the base64 Ed25519 public key of the seed
  x402-bench-headers.py headers <seed hex> <payer> <payTo> <network> <resource url> <count>
                                                        → <count> lines, each a distinct header value

Each authorization pays 250 USDC units to <payTo> for <resource url> on <network>, with a random 32-byte
nonce, valid from 5 s ago for 59 s (Docs/x402.md section 4). The signed bytes are the RFC 8785 canonical
JSON of the authorization: all its members are strings, so sorted keys with no whitespace is exactly that.
"""
import base64, json, os, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

def key(seed_hex):
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))

def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

if sys.argv[1] == "public-key":
    raw = key(sys.argv[2]).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    print(base64.b64encode(raw).decode())
    sys.exit(0)

_, _, seed, payer, pay_to, network, resource, count = sys.argv
signer = key(seed)
now = int(time.time())
accepted = {"scheme": "exact", "network": network, "amount": "250", "asset": "USDC", "payTo": pay_to,
            "maxTimeoutSeconds": 60}
out = sys.stdout
for _ in range(int(count)):
    authorization = {"payer": payer, "payTo": pay_to, "amount": "250", "asset": "USDC", "resource": resource,
                     "network": network, "nonce": os.urandom(32).hex(), "validAfter": str(now - 5),
                     "validBefore": str(now + 59)}
    signature = base64.b64encode(signer.sign(canonical(authorization))).decode()
    payload = {"x402Version": 2, "resource": {"url": resource, "description": "Tomorrow's forecast",
               "mimeType": "application/json"}, "accepted": accepted,
               "payload": {"signature": signature, "authorization": authorization}}
    out.write(base64.b64encode(canonical(payload)).decode() + "\n")
