#!/usr/bin/env bash
# Sets up what is missing, checks formatting, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
swift test --skip-build
