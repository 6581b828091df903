#!/usr/bin/env python3
"""Writes Fixtures/solana/vectors.json with `solders` (PyPI: the Rust Solana SDK's Python bindings), an
implementation independent of Kura's: keys and signatures, the curve test, program-derived addresses,
associated token accounts of both token programs, legacy and v0 messages and transactions (with and without
address lookup tables), their message hashes and signatures.

KuraSolanaTests reproduce every value and round-trip every transaction byte for byte. Everything is derived
from fixed seeds, so a rerun writes the same file: regenerate it deliberately (scripts/solana-fixtures.sh).
"""

import base64
import hashlib
import json
import sys

import solders
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

TOKEN = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
LIGHTHOUSE = Pubkey.from_string("L2TExMFKdjpN9kozasaurPirfHy9P8sbXoAN1qA3S95")
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")


def seed(label):
    return hashlib.sha256(f"kura-solana-fixture/{label}".encode()).digest()


def keypair(label):
    return Keypair.from_seed(seed(label))


def blockhash(label):
    return Hash(seed(f"blockhash/{label}"))


def ata(owner, mint, program):
    return Pubkey.find_program_address([bytes(owner), bytes(program), bytes(mint)], ATA_PROGRAM)[0]


def set_limit(units):
    return Instruction(COMPUTE_BUDGET, bytes([2]) + units.to_bytes(4, "little"), [])


def set_price(micro):
    return Instruction(COMPUTE_BUDGET, bytes([3]) + micro.to_bytes(8, "little"), [])


def transfer_checked(program, source, mint, dest, authority, amount, decimals):
    return Instruction(
        program,
        bytes([12]) + amount.to_bytes(8, "little") + bytes([decimals]),
        [
            AccountMeta(source, False, True),
            AccountMeta(mint, False, False),
            AccountMeta(dest, False, True),
            AccountMeta(authority, True, False),
        ],
    )


def memo(text, signers=()):
    return Instruction(MEMO, text.encode(), [AccountMeta(s, True, False) for s in signers])


def describe(ix):
    return {
        "program": str(ix.program_id),
        "accounts": [{"key": str(a.pubkey), "signer": a.is_signer, "writable": a.is_writable} for a in ix.accounts],
        "data": bytes(ix.data).hex(),
    }


def keys_section():
    out = []
    for i in range(6):
        kp = keypair(f"key/{i}")
        message = f"kura solana fixture message {i}".encode()
        out.append({
            "seed": seed(f"key/{i}").hex(),
            "address": str(kp.pubkey()),
            "message": message.hex(),
            "signature": str(kp.sign_message(message)),
        })
    return out


def curve_section():
    cases = []
    for i in range(48):
        raw = seed(f"curve/{i}")
        cases.append({"bytes": raw.hex(), "onCurve": Pubkey(raw).is_on_curve()})
    # Points outside the prime-order subgroup, small-order points, a non-canonical y and x = 0 with the sign
    # bit: all on the curve for Solana (curve25519-dalek decompresses them), unlike libsodium's
    # crypto_core_ed25519_is_valid_point.
    specials = [
        "0100000000000000000000000000000000000000000000000000000000000000",  # identity
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # order 2
        "0000000000000000000000000000000000000000000000000000000000000000",  # order 4
        "0000000000000000000000000000000000000000000000000000000000000080",  # order 4, sign bit
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  # order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  # order 8
        "0100000000000000000000000000000000000000000000000000000000000080",  # x = 0, sign bit set
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p + 1: non-canonical
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p: non-canonical 0
        "0200000000000000000000000000000000000000000000000000000000000000",  # y = 2
        "0300000000000000000000000000000000000000000000000000000000000000",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ]
    for hexed in specials:
        cases.append({"bytes": hexed, "onCurve": Pubkey(bytes.fromhex(hexed)).is_on_curve()})
    # A base point plus a torsion point: on the curve, outside the subgroup.
    return cases


def pda_section():
    programs = [ATA_PROGRAM, TOKEN, keypair("program/0").pubkey(), SYSTEM]
    seed_sets = [
        [],
        [b""],
        [b"kura"],
        [b"escrow", seed("pda/0")],
        [bytes(keypair("pda/owner").pubkey()), b"x" * 32],
        [bytes([i]) for i in range(15)],
    ]
    found = []
    for program in programs:
        for seeds in seed_sets:
            address, bump = Pubkey.find_program_address(seeds, program)
            found.append({"seeds": [s.hex() for s in seeds], "program": str(program), "address": str(address),
                          "bump": bump})
    created = []
    for i in range(24):
        seeds = [b"kura", seed(f"create/{i}")[:8]]
        program = keypair("program/1").pubkey()
        try:
            address = str(Pubkey.create_program_address(seeds, program))
        except Exception:
            address = None  # the hash is a curve point: refused
        created.append({"seeds": [s.hex() for s in seeds], "program": str(program), "address": address})
    too_long = {"seeds": [(b"y" * 33).hex()], "program": str(SYSTEM)}
    return found, created, too_long


def ata_section():
    out = []
    mints = [Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"), keypair("mint/0").pubkey(),
             keypair("mint/1").pubkey()]
    for i in range(6):
        owner = keypair(f"owner/{i}").pubkey()
        for mint in mints:
            for program in (TOKEN, TOKEN_2022):
                out.append({"owner": str(owner), "mint": str(mint), "tokenProgram": str(program),
                            "address": str(ata(owner, mint, program))})
    return out


def transaction_cases():
    fee_payer = keypair("facilitator")
    payer = keypair("payer")
    pay_to = keypair("payee").pubkey()
    mint = keypair("mint/0").pubkey()
    other = keypair("other")
    cases = []

    def exact_ixs(program, amount=1000, memo_text="5f3a0c9e1b2d4f6a8c7e9b0d1f3a5c7e", extra=()):
        return [set_limit(20000), set_price(1),
                transfer_checked(program, ata(payer.pubkey(), mint, program), mint, ata(pay_to, mint, program),
                                 payer.pubkey(), amount, 6),
                memo(memo_text), *extra]

    def add(name, message, signers, unsigned=(), instructions=None, lookups=None):
        versioned = isinstance(message, MessageV0)
        message_bytes = to_bytes_versioned(message)
        signatures = []
        for key in message.account_keys[: message.header.num_required_signatures]:
            kp = next((k for k in signers if k.pubkey() == key), None)
            if kp is None or key in unsigned:
                signatures.append(Signature.default())
            else:
                signatures.append(kp.sign_message(message_bytes))
        tx = VersionedTransaction.populate(message, signatures)
        raw = bytes(tx)
        assert VersionedTransaction.from_bytes(raw) == tx
        results = tx.verify_with_results()
        entry = {
            "name": name,
            "version": "v0" if versioned else "legacy",
            "transaction": base64.b64encode(raw).decode(),
            "message": message_bytes.hex(),
            "messageHash": str(message.hash()),
            "numRequiredSignatures": message.header.num_required_signatures,
            "numReadonlySigned": message.header.num_readonly_signed_accounts,
            "numReadonlyUnsigned": message.header.num_readonly_unsigned_accounts,
            "accountKeys": [str(k) for k in message.account_keys],
            "recentBlockhash": str(message.recent_blockhash),
            "signatures": [str(s) for s in signatures],
            "signatureValid": results,
            "signers": {str(k.pubkey()): seed_of[k.pubkey()] for k in signers},
        }
        if instructions is not None:
            entry["instructions"] = [describe(ix) for ix in instructions]
            entry["payer"] = str(message.account_keys[0])
        if lookups is not None:
            entry["lookups"] = lookups
        cases.append(entry)

    seed_of = {fee_payer.pubkey(): seed("key-of/facilitator").hex()}
    # The fixture keys are derived from their labels; record their seeds for the Swift side to sign with.
    seed_of = {keypair(l).pubkey(): seed(l).hex() for l in ("facilitator", "payer", "other")}

    for program, label in ((TOKEN, "token"), (TOKEN_2022, "token-2022")):
        ixs = exact_ixs(program)
        message = MessageV0.try_compile(fee_payer.pubkey(), ixs, [], blockhash(label))
        add(f"exact {label}, payer signed, fee payer slot empty", message, [payer, fee_payer],
            unsigned=[fee_payer.pubkey()], instructions=ixs)
        add(f"exact {label}, fully signed", message, [payer, fee_payer], instructions=ixs)

    ixs = exact_ixs(TOKEN, amount=123456789, extra=[Instruction(LIGHTHOUSE, bytes([1, 2, 3]), [])])
    message = MessageV0.try_compile(fee_payer.pubkey(), ixs, [], blockhash("lighthouse"))
    add("exact with a Lighthouse instruction", message, [payer, fee_payer], unsigned=[fee_payer.pubkey()],
        instructions=ixs)

    ixs = exact_ixs(TOKEN)
    legacy = Message.new_with_blockhash(ixs, fee_payer.pubkey(), blockhash("legacy"))
    add("legacy exact", legacy, [payer, fee_payer], instructions=ixs)

    ixs = [Instruction(SYSTEM, bytes([2, 0, 0, 0]) + (5000).to_bytes(8, "little"),
                       [AccountMeta(payer.pubkey(), True, True), AccountMeta(other.pubkey(), False, True)])]
    legacy = Message.new_with_blockhash(ixs, payer.pubkey(), blockhash("system"))
    add("legacy system transfer", legacy, [payer], instructions=ixs)

    ixs = [memo("deposit pty_CQ3P5z8wxKfG3jZoWWGnpC", signers=[payer.pubkey()]),
           transfer_checked(TOKEN, ata(payer.pubkey(), mint, TOKEN), mint, ata(other.pubkey(), mint, TOKEN),
                            payer.pubkey(), 42, 6)]
    message = MessageV0.try_compile(payer.pubkey(), ixs, [], blockhash("memo-signed"))
    add("v0 memo signed by the payer", message, [payer], instructions=ixs)

    # Two signers besides the fee payer, one read-only.
    ixs = exact_ixs(TOKEN) + [memo("co-signed", signers=[other.pubkey()])]
    ixs = ixs[:3] + ixs[4:]
    message = MessageV0.try_compile(fee_payer.pubkey(), ixs, [], blockhash("two-signers"))
    add("v0 with a second signer", message, [payer, fee_payer, other], instructions=ixs)

    # Address lookup tables: the destination and the mint come from a table.
    table_key = keypair("lookup-table").pubkey()
    dest = ata(pay_to, mint, TOKEN)
    table = AddressLookupTableAccount(table_key, [keypair("filler").pubkey(), dest, mint])
    ixs = exact_ixs(TOKEN)
    message = MessageV0.try_compile(fee_payer.pubkey(), ixs, [table], blockhash("lookup"))
    lookups = [{"table": str(table_key), "addresses": [str(a) for a in table.addresses]}]
    add("v0 with an address lookup table", message, [payer, fee_payer], unsigned=[fee_payer.pubkey()],
        lookups=lookups)
    return cases


def main():
    found, created, too_long = pda_section()
    doc = {
        "generator": f"scripts/solana-fixtures.py with solders {solders.__version__}",
        "keys": keys_section(),
        "curve": curve_section(),
        "findProgramAddress": found,
        "createProgramAddress": created,
        "seedTooLong": too_long,
        "associatedTokenAccounts": ata_section(),
        "transactions": transaction_cases(),
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
