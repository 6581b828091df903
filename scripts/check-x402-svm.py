#!/usr/bin/env python3
"""The official x402 Python SDK (PyPI `x402[svm]`) pays Kura on Solana.

Run by scripts/check-x402-svm.sh, which starts the Solana stand-in and `kura serve` on it. This script:
  1. sets the stand-in up (two mints, Token and Token-2022; the payer's tokens; the payee's accounts; the fee
     payer's lamports) through its standIn_* methods;
  2. reads Kura's GET /facilitator/supported with the SDK's own facilitator client, and takes the Solana
     `exact` kind's extra.feePayer;
  3. has the SDK's client (x402ClientSync + register_exact_svm_client) build real `exact` payloads for a 402
     that offers Solana: Token, Token-2022, and with extra.memo;
  4. has Kura verify them, and refuse tampered copies (every field of the transfer, the memo, the payer's
     signature, the instruction order, an extra instruction; each rebuilt with solders) with the standard
     reason codes; then settle them, once;
  5. writes the payloads, the tampered copies and the expected reasons to Fixtures/solana/sdk-payloads.json,
     which KuraX402Tests (offline checks) and KuraServiceTests (settlement on an in-process stand-in) replay.
"""

import base64
import hashlib
import json
import sys

import httpx
from solders.hash import Hash
from solders.instruction import AccountMeta, CompiledInstruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from x402 import x402ClientSync
from x402.http.facilitator_client import HTTPFacilitatorClientSync
from x402.mechanisms.svm.exact.register import register_exact_svm_client
from x402.mechanisms.svm.signers import KeypairSigner
from x402.schemas import PaymentPayload, PaymentRequired, PaymentRequirements, ResourceInfo

KURA, STAND_IN, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
SYSTEM = "11111111111111111111111111111111"


def seed(label):
    return hashlib.sha256(f"kura-x402-svm/{label}".encode()).digest()


PAYER = Keypair.from_seed(seed("payer"))
PAYEE = Keypair.from_seed(seed("payee")).pubkey()
MINTS = {"token": (Keypair.from_seed(seed("mint")).pubkey(), TOKEN),
         "token-2022": (Keypair.from_seed(seed("mint-2022")).pubkey(), TOKEN_2022)}


def rpc(method, params):
    answer = httpx.post(STAND_IN, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
    if "error" in answer:
        sys.exit(f"stand-in {method}: {answer['error']}")
    return answer["result"]


def facilitator(path, body):
    return httpx.post(f"{KURA}/facilitator/{path}", json=body, timeout=60).json()


def setup(fee_payer):
    for mint, program in MINTS.values():
        rpc("standIn_createMint", [{"mint": str(mint), "decimals": 6, "program": program}])
        rpc("standIn_mint", [{"mint": str(mint), "owner": str(PAYER.pubkey()), "amount": 10_000_000}])
        rpc("standIn_mint", [{"mint": str(mint), "owner": str(PAYEE), "amount": 0}])
    rpc("standIn_fund", [{"address": fee_payer, "lamports": 10_000_000_000}])


def tampered_copies(payload, requirements):
    """Each copy changes one thing after the payer signed, rebuilt with solders; with the reason Kura must give."""
    tx = VersionedTransaction.from_bytes(base64.b64decode(payload["payload"]["transaction"]))
    message = tx.message
    keys = list(message.account_keys)
    instructions = list(message.instructions)
    transfer = instructions[2]

    def rebuilt(new_keys=None, new_instructions=None, signatures=None):
        msg = MessageV0(message.header, new_keys or keys, message.recent_blockhash,
                        new_instructions if new_instructions is not None else instructions,
                        list(message.address_table_lookups))
        sigs = signatures or list(tx.signatures)
        copy = json.loads(json.dumps(payload))
        copy["payload"]["transaction"] = base64.b64encode(bytes(VersionedTransaction.populate(msg, sigs))).decode()
        return copy

    def with_data(data):
        ixs = list(instructions)
        ixs[2] = CompiledInstruction(transfer.program_id_index, data, bytes(transfer.accounts))
        return ixs

    data = bytes(transfer.data)
    amount = int.from_bytes(data[1:9], "little")
    copies = []
    lower = data[:1] + (amount - 1).to_bytes(8, "little") + data[9:]
    copies.append(("amount lowered", rebuilt(new_instructions=with_data(lower)),
                   "invalid_exact_svm_payload_amount_insufficient"))
    higher = data[:1] + (amount + 1).to_bytes(8, "little") + data[9:]
    copies.append(("amount raised", rebuilt(new_instructions=with_data(higher)),
                   "invalid_exact_svm_payload_signature"))
    decimals = data[:9] + bytes([data[9] + 1])
    copies.append(("decimals changed", rebuilt(new_instructions=with_data(decimals)),
                   "invalid_exact_svm_payload_signature"))
    # The account keys the transfer names: source, mint, destination, authority.
    accounts = bytes(transfer.accounts)
    stranger = Keypair.from_seed(seed("stranger")).pubkey()
    for role, index, reason in (("source", 0, "invalid_exact_svm_payload_signature"),
                                ("mint", 1, "invalid_exact_svm_payload_mint_mismatch"),
                                ("destination", 2, "invalid_exact_svm_payload_recipient_mismatch")):
        new_keys = list(keys)
        new_keys[accounts[index]] = stranger
        copies.append((f"{role} replaced", rebuilt(new_keys=new_keys), reason))
    # The memo: with extra.memo it must match; without, a changed nonce breaks the signature.
    memo_ix = instructions[3]
    ixs = list(instructions)
    ixs[3] = CompiledInstruction(memo_ix.program_id_index, b"tampered-memo", bytes(memo_ix.accounts))
    memo_reason = ("invalid_exact_svm_payload_memo_mismatch" if (requirements.get("extra") or {}).get("memo")
                   else "invalid_exact_svm_payload_signature")
    copies.append(("memo changed", rebuilt(new_instructions=ixs), memo_reason))
    # The payer's signature.
    sigs = list(tx.signatures)
    raw = bytearray(bytes(sigs[1]))
    raw[0] ^= 1
    sigs[1] = Signature.from_bytes(bytes(raw))
    copies.append(("signature flipped", rebuilt(signatures=sigs), "invalid_exact_svm_payload_signature"))
    copies.append(("signature missing", rebuilt(signatures=[Signature.default(), Signature.default()]),
                   "invalid_exact_svm_payload_signature"))
    # Instruction order, and an extra instruction.
    ixs = list(instructions)
    ixs[0], ixs[1] = ixs[1], ixs[0]
    copies.append(("compute instructions swapped", rebuilt(new_instructions=ixs),
                   "invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction"))
    ixs = list(instructions)
    ixs[2], ixs[3] = ixs[3], ixs[2]
    copies.append(("transfer and memo swapped", rebuilt(new_instructions=ixs),
                   "invalid_exact_svm_payload_no_transfer_instruction"))
    # An extra instruction calling the System program (added to the keys, read-only unsigned).
    header = message.header
    extra_keys = keys + [Pubkey.from_string(SYSTEM)]
    extra_msg_header = type(header)(header.num_required_signatures, header.num_readonly_signed_accounts,
                                    header.num_readonly_unsigned_accounts + 1)
    extra_ixs = instructions + [CompiledInstruction(len(keys), bytes([2, 0, 0, 0]) + (1).to_bytes(8, "little"),
                                                    bytes([1]))]
    msg = MessageV0(extra_msg_header, extra_keys, message.recent_blockhash, extra_ixs, [])
    copy = json.loads(json.dumps(payload))
    copy["payload"]["transaction"] = base64.b64encode(bytes(VersionedTransaction.populate(msg, list(tx.signatures)))).decode()
    copies.append(("extra System instruction", copy, "invalid_exact_svm_payload_unknown_fifth_instruction"))
    return copies


def main():
    supported = HTTPFacilitatorClientSync({"url": KURA + "/facilitator"}).get_supported()
    kind = next(k for k in supported.kinds if str(k.network).startswith("solana:"))
    network, fee_payer = str(kind.network), kind.extra["feePayer"]
    print(f"GET {KURA}/facilitator/supported read by the SDK: exact on {network}, feePayer {fee_payer}, "
          f"signers {supported.signers.get('solana:*')}")
    setup(fee_payer)

    client = x402ClientSync()
    # The test mints are not the SDK's default assets: allow them explicitly, with a per-payment cap.
    client.set_spend_controls({"allowed_assets": [
        {"network": network, "asset": str(mint), "max_amount_per_payment": "1000000"} for mint, _ in MINTS.values()]})
    register_exact_svm_client(client, KeypairSigner(PAYER), rpc_url=STAND_IN)
    resource = ResourceInfo(url="https://provider.example/v1/forecast", description="Tomorrow's forecast",
                            mime_type="application/json")
    cases, failures = [], 0
    for label, (mint, _program) in MINTS.items():
        for memo in (None, "invoice-42"):
            extra = {"feePayer": fee_payer}
            if memo:
                extra["memo"] = memo
            requirements = PaymentRequirements(scheme="exact", network=network, amount="2500", asset=str(mint),
                                               pay_to=str(PAYEE), max_timeout_seconds=60, extra=extra)
            required = PaymentRequired(x402_version=2, resource=resource, accepts=[requirements])
            payload_model = client.create_payment_payload(required)
            payload = json.loads(payload_model.model_dump_json(by_alias=True, exclude_none=True))
            req = json.loads(requirements.model_dump_json(by_alias=True, exclude_none=True))
            name = f"{label}{' with extra.memo' if memo else ''}"
            verdict = facilitator("verify", {"x402Version": 2, "paymentPayload": payload, "paymentRequirements": req})
            ok = verdict.get("isValid") is True
            failures += not ok
            print(f"{name}: SDK payload verified by Kura: {verdict}")
            tampered = []
            for what, copy, reason in tampered_copies(payload, req):
                answer = facilitator("verify", {"x402Version": 2, "paymentPayload": copy, "paymentRequirements": req})
                got = answer.get("invalidReason")
                failures += got != reason
                print(f"  tampered ({what}): {got}{'' if got == reason else f'  EXPECTED {reason}'}")
                tampered.append({"what": what, "paymentPayload": copy, "reason": reason})
            cases.append({"name": name, "paymentPayload": payload, "paymentRequirements": req, "tampered": tampered})
    for case in cases:
        body = {"x402Version": 2, "paymentPayload": case["paymentPayload"],
                "paymentRequirements": case["paymentRequirements"]}
        settled = facilitator("settle", body)
        again = facilitator("settle", body)
        ok = settled.get("success") is True and again.get("errorReason") == "duplicate_settlement"
        failures += not ok
        print(f"{case['name']}: settled {settled.get('transaction')} ({settled.get('success')}); "
              f"again: {again.get('errorReason')}")
    for label, (mint, _program) in MINTS.items():
        balance = rpc("standIn_balance", [{"owner": str(PAYEE), "mint": str(mint)}])
        print(f"payee's {label} balance on the stand-in: {balance}")
        failures += balance != 5000
    fixture = {
        "generator": "scripts/check-x402-svm.sh with the official x402 SDK (PyPI x402[svm])",
        "network": network, "feePayer": fee_payer, "feePayerSeed": seed("fee-payer").hex(),
        "payer": str(PAYER.pubkey()), "payTo": str(PAYEE), "payerBalance": 10_000_000,
        "mints": {label: {"mint": str(mint), "program": program} for label, (mint, program) in MINTS.items()},
        "cases": cases,
    }
    with open(OUT, "w") as handle:
        json.dump(fixture, handle, indent=1, sort_keys=True)
        handle.write("\n")
    if failures:
        sys.exit(f"FAILED: {failures} checks")
    print("ok: Kura verifies and settles the official x402 SDK's Solana payloads and refuses every tampered copy")


if __name__ == "__main__":
    main()
