#!/usr/bin/env bash
# What the writers of N `kura serve` nodes on one PostgreSQL database ask of it under escrow load (issue 16):
# every statement's call count from pg_stat_statements, the batches (advisory-lock calls) and the escrows
# opened, so that the round trips per batch and per command can be read off. Counts do not depend on how busy
# the machine is, unlike rates.
#
#   scripts/profile-postgres-nodes.sh [nodes, default 2] [duration, default 10s]
#
# Environment: KURA_BIN (a prebuilt release kura; default: build `-c release`); PERF_OUT (a file: also
# `perf record` the nodes during the measurement). 64 connections in all, split
# evenly between the nodes. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes="${1:-2}"
duration="${2:-10s}"

. scripts/lib/kura-server.sh
kura_require_wrk
[[ -n "${KURA_BIN:-}" ]] || kura_build_release kura
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/kura-pg-profile-XXXXXX")"
trap 'kura_cleanup; scripts/lib/pg-cluster.sh stop "$pg_dir"' EXIT
pg_url="$(scripts/lib/pg-cluster.sh start --dir "$pg_dir" --durable --watch $$)"
conf="$pg_dir/data/postgresql.auto.conf"
line="shared_preload_libraries = 'pg_stat_statements'"
if [[ "$(id -u)" == 0 ]]; then runuser -u nobody -- sh -c "echo \"$line\" >>'$conf'"; else echo "$line" >>"$conf"; fi
scripts/lib/pg-cluster.sh halt "$pg_dir"
scripts/lib/pg-cluster.sh resume "$pg_dir"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$pg_url" "$@"; }
psql_ -c "CREATE DATABASE kura" -c "CREATE EXTENSION pg_stat_statements"
db="${pg_url%/postgres}/kura"
work="$(mktemp -d)"
key="$(json_field operatorApiKey <<<"$("$KURA_BIN" init --db "$db" --service-key-file "$work/kura.key" --json)")"
urls=()
for i in $(seq 1 "$nodes"); do
    "$KURA_BIN" serve --db "$db" --service-key-file "$work/kura.key" --host 127.0.0.1 --port 0 --log-level warning \
        --rate-limit 0 --anonymous-rate-limit 0 >"$work/node$i.log" 2>&1 &
    kura_pids+=("$!")
    urls+=("http://127.0.0.1:$(wait_listening "$work/node$i.log" "$!")")
done
url=""
escrow_script "${urls[0]}" "$key" "$work/escrow.lua"
connections=$(( 64 / nodes ))
# run DURATION: wrk against every node at once; waits for wrk only (not the servers).
run() {
    local pids=() u i=0
    for u in "${urls[@]}"; do
        wrk -t1 -c"$connections" -d"$1" -s "$work/escrow.lua" "$u/v1/escrows" >"$work/wrk$i.out" &
        pids+=("$!")
        i=$(( i + 1 ))
    done
    wait "${pids[@]}"
}
run 2s
psql_ -c "SELECT pg_stat_statements_reset()" >/dev/null
if [[ -n "${PERF_OUT:-}" ]]; then
    perf record -F 499 -g -o "$PERF_OUT" -p "$(IFS=,; echo "${kura_pids[*]}")" -- sleep "${duration%s}" >/dev/null 2>&1 &
    perf_pid=$!
fi
run "$duration"
[[ -n "${PERF_OUT:-}" ]] && wait "$perf_pid"
echo "$nodes node(s), $connections connections each, $duration; load $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "$work"/wrk*.out; do awk '/^Requests\/sec:/ { printf "  node: %s requests/s\n", $2 }' "$f"; done
stats="FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'kura'"
batches="$(psql_ -Atc "SELECT coalesce(sum(calls), 0) $stats AND query LIKE 'SELECT pg_advisory_xact_lock%'")"
escrows="$(psql_ -Atc "SELECT coalesce(sum(rows), 0) $stats AND query LIKE 'INSERT INTO escrows%'")"
reads="$(psql_ -Atc "SELECT coalesce(sum(calls), 0) $stats AND query LIKE 'SELECT%' AND query NOT LIKE '%api_key_hash%'
    AND query NOT LIKE 'SELECT pg_advisory_xact_lock%'")"
echo "  escrows $escrows, batches $batches ($(python3 -c "print(round($escrows / max(1, $batches), 1))") escrows per batch)"
echo "  writer reads (every SELECT but the lock and the request path's API-key lookup): $reads," \
    "$(python3 -c "print(round($reads / max(1, $batches), 1))") per batch"
psql_ -c "SELECT calls, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS statement $stats
    ORDER BY calls DESC LIMIT 20"
