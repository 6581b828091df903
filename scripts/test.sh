#!/usr/bin/env bash
# Sets up what is missing, checks formatting, builds, runs the whole test suite, then fuzzes the live
# server against Schemas/openapi.yaml in the short form (schemathesis from PyPI, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
swift test --skip-build
KURA_BIN="$(swift build --show-bin-path)/kura" scripts/schemathesis.sh --short
