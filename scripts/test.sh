#!/usr/bin/env bash
# Sets up what is missing, checks formatting, checks from the manifest that providers and paying clients link no
# SQLite, store or service (scripts/check-products.sh), builds, runs the whole test suite against the embedded
# SQLite files and one throwaway PostgreSQL cluster (scripts/lib/pg-cluster.sh, stopped at the end), then fuzzes the live server
# against Schemas/openapi.yaml in the short form (schemathesis from PyPI, about a minute), checks the explorer
# page in headless Chromium (scripts/check-explorer.sh, which installs Debian's chromium when missing), the
# decision envelopes with jwcrypto from PyPI under both JOSE names (scripts/check-envelope.sh), and the
# deployment files (scripts/check-deploy.sh: systemd units verified and their commands run; the container
# built where an engine answers), and the official x402 SDK's Solana payloads (PyPI `x402[svm]`) verified and
# settled live by `kura serve` against the Solana stand-in, tampered copies refused (scripts/check-x402-svm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift format lint --strict --recursive Sources Tests Package.swift
scripts/check-products.sh
swift build --build-tests
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/kura-pg-XXXXXX")"
trap 'scripts/lib/pg-cluster.sh stop "$pg_dir"' EXIT
# --watch: should this script be killed, the cluster still stops once the script is gone.
KURA_TEST_POSTGRES_URL="$(scripts/lib/pg-cluster.sh start --dir "$pg_dir" --watch $$)"
export KURA_TEST_POSTGRES_URL
swift test --skip-build
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/schemathesis.sh --short
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/check-explorer.sh
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/check-envelope.sh
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/check-deploy.sh
KURA_BIN_DIR="$(swift build --show-bin-path)" X402_SVM_RECORD="$(mktemp)" X402_VENV=.build-tools/x402-svm \
    scripts/check-x402-svm.sh
