#!/usr/bin/env bash
# Sets up what is missing, checks formatting, builds, runs the whole test suite, then fuzzes the live server
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
swift build --build-tests
swift test --skip-build
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/schemathesis.sh --short
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/check-explorer.sh
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/check-envelope.sh
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/check-deploy.sh
KURA_BIN_DIR="$(swift build --show-bin-path)" X402_SVM_RECORD="$(mktemp)" X402_VENV=.build-tools/x402-svm \
    scripts/check-x402-svm.sh
