#!/usr/bin/env bash
# Sets up what is missing, checks formatting, builds, and runs the whole test suite against the embedded
# SQLite files and one throwaway PostgreSQL cluster (scripts/lib/pg-cluster.sh), stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/kura-pg-XXXXXX")"
trap 'scripts/lib/pg-cluster.sh stop "$pg_dir"' EXIT
# --watch: should this script be killed, the cluster still stops once the script is gone.
KURA_TEST_POSTGRES_URL="$(scripts/lib/pg-cluster.sh start --dir "$pg_dir" --watch $$)"
export KURA_TEST_POSTGRES_URL
swift test --skip-build
