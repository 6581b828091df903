#!/usr/bin/env bash
# Sets up what is missing, builds, and runs the whole test suite (serially: the suite starts real servers).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build
