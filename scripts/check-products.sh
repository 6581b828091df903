#!/usr/bin/env bash
# Proves from the manifest (`swift package dump-package`: the manifest evaluated, nothing built or fetched) that
# what a provider or a paying agent links reaches neither the database nor the service: the closure of local
# targets under the `KuraProvider` and `KuraClient` products and the `kura-example-provider` executable holds
# none of CSQLite, CLibPQ, KuraStore, KuraPostgres, KuraService, KuraHTTP or KuraTesting. As a control that the
# walk finds what is there, the `kura` executable's closure must hold all of them but KuraTesting.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package dump-package | python3 -c '
import json, sys

manifest = json.load(sys.stdin)
targets = {target["name"]: target for target in manifest["targets"]}
products = {product["name"]: product["targets"] for product in manifest["products"]}

def closure(roots):
    """The local targets reachable from roots through target and by-name dependencies (external products are
    leaves: no other package depends on a target of this one)."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in targets:
            continue
        seen.add(name)
        for dependency in targets[name]["dependencies"]:
            kind, value = next(iter(dependency.items()))
            if kind in ("byName", "target"):
                todo.append(value[0])
    return seen

forbidden = {"CSQLite", "CLibPQ", "KuraStore", "KuraPostgres", "KuraService", "KuraHTTP", "KuraTesting"}
failed = False
for label, roots in [
    ("product KuraProvider", products["KuraProvider"]),
    ("product KuraClient", products["KuraClient"]),
    ("executable kura-example-provider", ["kura-example-provider"]),
]:
    reached = closure(roots)
    bad = sorted(reached & forbidden)
    print("%s: links %s" % (label, " ".join(sorted(reached))))
    if bad:
        print("  FAIL: %s links %s" % (label, " ".join(bad)))
        failed = True

server = closure(["kura"])
missing = sorted(forbidden - {"KuraTesting"} - server)
if missing:
    print("FAIL: the control found no %s under kura: the walk is broken" % " ".join(missing))
    failed = True
sys.exit(1 if failed else 0)
'
echo "products ok: providers and paying clients link no SQLite, store or service"
