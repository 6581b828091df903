#!/usr/bin/env bash
# Validates the golden scenarios' receipts against Schemas/receipt.schema.json, and bundles built from
# them (receipt, RFC 6962 inclusion proof recomputed here from the golden leaf hashes, final checkpoint)
# against Schemas/bundle.schema.json, with Python's `jsonschema` (draft 2020-12). Also checks that the
# schemas refuse a few broken documents, so that a schema that accepts everything cannot pass.
#
#   scripts/check-schemas.sh
#
# Needs python3 with `jsonschema` (pip install jsonschema). No build, no database: golden files only.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - <<'PY'
import base64, copy, glob, hashlib, json, sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

receipt_schema = json.load(open("Schemas/receipt.schema.json"))
bundle_schema = json.load(open("Schemas/bundle.schema.json"))
for schema in (receipt_schema, bundle_schema):
    Draft202012Validator.check_schema(schema)
registry = Registry().with_resource(receipt_schema["$id"], Resource.from_contents(receipt_schema))
receipts = Draft202012Validator(receipt_schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
bundles = Draft202012Validator(bundle_schema, registry=registry)

def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()

def subtree(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(subtree(leaves[:k]), subtree(leaves[k:]))

def path(index, leaves):
    """RFC 6962 section 2.1.1 PATH(m, D[n]), leaf side first."""
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if index < k:
        return path(index, leaves[:k]) + [subtree(leaves[k:])]
    return path(index - k, leaves[k:]) + [subtree(leaves[:k])]

errors = 0
def report(what, validator, document, should_pass=True):
    global errors
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if should_pass and problems:
        errors += 1
        for problem in problems:
            print(f"FAIL {what}: {'/'.join(map(str, problem.path))}: {problem.message}")
    if not should_pass and not problems:
        errors += 1
        print(f"FAIL {what}: the schema accepted a broken document")
    return not problems

counted = {"receipts": 0, "bundles": 0, "refused": 0}
files = sorted(glob.glob("Fixtures/expected/*.json"))
if not files:
    sys.exit("no golden files in Fixtures/expected/")
for name in files:
    golden = json.load(open(name))
    leaves = [bytes.fromhex(h) for h in golden["leafHashes"]]
    final = golden["finalCheckpoint"]
    for receipt in golden["receipts"]:
        report(f"{name} receipt {receipt['index']}", receipts, receipt)
        counted["receipts"] += 1
        bundle = {
            "receipt": receipt,
            "proof": {
                "leafIndex": receipt["index"],
                "treeSize": final["size"],
                "hashes": [base64.b64encode(h).decode() for h in path(receipt["index"], leaves[: final["size"]])],
            },
            "checkpoint": final["note"],
        }
        report(f"{name} bundle {receipt['index']}", bundles, bundle)
        counted["bundles"] += 1
    # The schemas must refuse broken documents.
    first = golden["receipts"][0]
    broken = [
        ("an unknown member", dict(first, memo="hi")),
        ("a missing member", {k: v for k, v in first.items() if k != "payer"}),
        ("a string amount", dict(first, amount="250000")),
        ("a fee outside a release", dict(first, fee=1)),
        ("an uppercase hash", dict(first, eventHash=first["eventHash"].upper())),
    ]
    for what, document in broken:
        if not report(f"{name}: receipt with {what}", receipts, document, should_pass=False):
            counted["refused"] += 1
    bundle = {"receipt": first, "proof": {"leafIndex": 0, "treeSize": final["size"], "hashes": []}, "checkpoint": final["note"]}
    for what, document in [
        ("an extra member", dict(bundle, comment="x")),
        ("a short proof hash", dict(bundle, proof=dict(bundle["proof"], hashes=["AAAA"]))),
        ("a note without signature", dict(bundle, checkpoint=final["note"].split("\n\n")[0] + "\n")),
    ]:
        if not report(f"{name}: bundle with {what}", bundles, document, should_pass=False):
            counted["refused"] += 1

if errors:
    sys.exit(f"{errors} schema check(s) failed")
print(f"ok: {counted['receipts']} receipts and {counted['bundles']} bundles from {len(files)} golden files are valid; "
      f"{counted['refused']} broken documents refused")
PY
