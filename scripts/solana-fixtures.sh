#!/usr/bin/env bash
# Regenerates Fixtures/solana/vectors.json with `solders` from PyPI, in a temporary venv (see
# scripts/solana-fixtures.py). The output is deterministic: a rerun with the same solders writes the same file.
#
#   scripts/solana-fixtures.sh                     # needs python3 with venv, and PyPI
#   SOLDERS_VERSION='==0.27.1' scripts/solana-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "solders${SOLDERS_VERSION:-==0.27.1}"
"$venv/bin/python" scripts/solana-fixtures.py > Fixtures/solana/vectors.json
echo "wrote Fixtures/solana/vectors.json"
