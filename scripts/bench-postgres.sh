#!/usr/bin/env bash
# The ordering database's capacity, SQLite beside PostgreSQL, in one run on this machine:
#   1. pgbench's built-in simple-update at 64 clients (PostgreSQL's own rate for small durable writes);
#   2. `kura bench backend`: escrow-shaped durable batches of 64 commands through the writer sessions,
#      on a new SQLite file, on PostgreSQL with one writer, and with two writers (two nodes' worth)
#      taking turns on the advisory lock.
# Both servers run with fsync on (a throwaway cluster from scripts/lib/pg-cluster.sh --durable), and the
# machine's load is printed before and after: figures taken while others build are noisy.
#
#   scripts/bench-postgres.sh [SECONDS]      (default 10 per measurement; release build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
source scripts/lib/kura-server.sh
[[ -n "${KURA_BIN:-}" ]] || kura_build_release kura
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/kura-pg-bench-XXXXXX")"
work="$(mktemp -d)"
trap 'scripts/lib/pg-cluster.sh stop "$pg_dir"; rm -rf "$work"' EXIT
url="$(scripts/lib/pg-cluster.sh start --dir "$pg_dir" --durable --watch $$)"
base="${url%/postgres}"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
for name in pgbench kura1 kura2; do psql_ -c "CREATE DATABASE $name"; done

echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: $(psql_ -Atc 'SELECT version()' | cut -d' ' -f1-2), fsync=$(psql_ -Atc 'SHOW fsync'), synchronous_commit=$(psql_ -Atc 'SHOW synchronous_commit')"
pgbench -i -q -s 10 "$base/pgbench" >/dev/null 2>&1
pgbench_rate="$(pgbench -b simple-update -c 64 -j 2 -T "$seconds" -n "$base/pgbench" 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p')"
printf 'pgbench simple-update, 64 clients: %.0f transactions/s\n' "$pgbench_rate"
"$KURA_BIN" bench backend --db "$work/kura.sqlite" --seconds "$seconds"
"$KURA_BIN" bench backend --db "$base/kura1" --seconds "$seconds"
"$KURA_BIN" bench backend --db "$base/kura2" --seconds "$seconds" --writers 2
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
