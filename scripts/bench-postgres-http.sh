#!/usr/bin/env bash
# POST /v1/escrows over HTTP on SQLite and on PostgreSQL, in one run on this machine (issue 16):
#   1. `kura serve` on a new SQLite file (the baseline), wrk at 64 connections;
#   2. one `kura serve` node on a new PostgreSQL database, wrk at 64 connections;
#   3. two nodes on one new PostgreSQL database, wrk against both at once (32 + 32 connections), rates summed;
#   4. pgbench's built-in simple-update (`pgbench -N`) at 64 clients on the same cluster: PostgreSQL's own rate
#      for one small durable transaction per call.
# Measurements 2 and 3 alternate for ROUNDS rounds (default 3) on nodes that stay up, so that the machine's
# speed, which wanders by ±10 % between runs here, weighs on both alike; the summary gives two ÷ one per round
# and over all rounds.
# Every request opens a new escrow (durable commits, no Idempotency-Key). PostgreSQL runs with fsync on (a
# throwaway cluster from scripts/lib/pg-cluster.sh --durable) on the same disk as the SQLite file. For each
# PostgreSQL measurement the Kura sessions' wait events are sampled from pg_stat_activity every 200 ms (where the
# nodes' backends spend their time: the advisory lock, the WAL flush, waiting for the client). The machine's load
# average is printed before each measurement: figures taken while others build are noisy. Each PostgreSQL
# measurement also prints the CPU time the Kura nodes and the cluster spent per request (from /proc): this host's
# speed moves the rates by ±10–30 % between runs, the CPU per request much less.
#
#   scripts/bench-postgres-http.sh [duration, default 15s]
#
# Environment: KURA_BIN (a prebuilt release kura; default: build `-c release`), WRK_THREADS (default 2), ROUNDS
# (default 3), PERF_OUT (a directory: `perf record` of the node processes during measurements 2 and 3 of the
# first round, pg1.data and pg2.data).
# Not run in CI. Record results in Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15s}"
seconds="${duration%s}"
threads="${WRK_THREADS:-2}"
rounds="${ROUNDS:-3}"

. scripts/lib/kura-server.sh
kura_require_wrk
[[ -n "${KURA_BIN:-}" ]] || kura_build_release kura
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/kura-pg-bench-XXXXXX")"
trap 'kura_cleanup; scripts/lib/pg-cluster.sh stop "$pg_dir"' EXIT
pg_url="$(scripts/lib/pg-cluster.sh start --dir "$pg_dir" --durable --watch $$)"
pg_base="${pg_url%/postgres}"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$pg_url" "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

results=()
# record LABEL WRK_OUTPUT_FILE…: one line per file (requests/s, p50, p99, errors), and the summed rate (also
# left in `recorded`).
record() {
    local label="$1" total=0 line file rate p50 p99 errors
    shift
    for file in "$@"; do
        rate="$(awk '/^Requests\/sec:/ { print $2 }' "$file")"
        p50="$(awk '$1 == "50%" { print $2 }' "$file")"
        p99="$(awk '$1 == "99%" { print $2 }' "$file")"
        errors="$(sed -n 's/^non-2xx or errors: //p' "$file")"
        total="$(python3 -c "print(round($total + $rate))")"
        line="$(printf '%-54s %8.0f req/s  p50 %-8s p99 %-8s %s' "$label" "$rate" "$p50" "$p99" "$errors")"
        echo "$line"
        [[ $# -gt 1 ]] && results+=("$line")
    done
    if [[ $# -gt 1 ]]; then
        results+=("$(printf '%-54s %8d req/s  (sum)' "$label" "$total")")
    else
        results+=("$line")
    fi
    recorded="$total"
}

# start_node DB_URL KEY_FILE LOG: starts `kura serve` on the database (stopped on exit); sets node_url and
# node_pid. Not in a subshell, so that kura_pids keeps the process.
start_node() {
    "$KURA_BIN" serve --db "$1" --service-key-file "$2" --host 127.0.0.1 --port 0 --log-level warning \
        --rate-limit 0 --anonymous-rate-limit 0 >"$3" 2>&1 &
    node_pid=$!
    kura_pids+=("$node_pid")
    node_url="http://127.0.0.1:$(wait_listening "$3" "$node_pid")"
}
stop_node() { kill -TERM "$1" && wait "$1" 2>/dev/null || true; }
# cpu_of PID…: the processes' CPU time so far, in clock ticks.
cpu_of() {
    local pid
    for pid in "$@"; do cat "/proc/$pid/stat" 2>/dev/null || true; done | awk '{ s += $14 + $15 } END { print s + 0 }'
}
# The cluster's processes: the postmaster and its children (the nodes' sessions stay connected throughout).
pg_pids() { local main; main="$(head -n1 "$pg_dir/data/postmaster.pid")"; echo "$main" $(pgrep -P "$main"); }
# cpu_mark PID…: CPU time of the Kura nodes given and of the cluster, before a measurement; cpu_report RATE prints
# each one's CPU per request over the measurement (a rate moves with the host's speed here, CPU per request
# much less) and leaves the Kura nodes' in `kura_us`.
cpu_mark() {
    marked_nodes=("$@")
    read -r -a marked_pg <<<"$(pg_pids)"
    nodes_before="$(cpu_of "${marked_nodes[@]}")" pg_before="$(cpu_of "${marked_pg[@]}")"
}
cpu_report() {
    local requests
    requests="$(python3 -c "print($1 * $seconds)")"
    # per_request BEFORE PID…: µs of CPU per request since BEFORE.
    per_request() {
        awk -v a="$1" -v b="$(cpu_of "${@:2}")" -v t="$(getconf CLK_TCK)" -v n="$requests" \
            'BEGIN { printf "%.0f", (b - a) / t * 1e6 / n }'
    }
    kura_us="$(per_request "$nodes_before" "${marked_nodes[@]}")"
    pg_us="$(per_request "$pg_before" "${marked_pg[@]}")"
    echo "  CPU per request: Kura $kura_us µs, PostgreSQL $pg_us µs"
    results+=("$(printf '%-54s Kura %s µs, PostgreSQL %s µs per request' "  CPU" "$kura_us" "$pg_us")")
}
# profile NAME PID…: with PERF_OUT, records the processes until stop_profile (their CPU is cpu_report's).
profile() {
    [[ -n "${PERF_OUT:-}" && "$round" == 1 ]] || return 0
    mkdir -p "$PERF_OUT"
    perf record -q -F 499 --call-graph dwarf,16384 -p "$(IFS=,; echo "${*:2}")" -o "$PERF_OUT/$1.data" 2>/dev/null &
    perf_pid=$!
}
stop_profile() {
    [[ -n "${PERF_OUT:-}" && "$round" == 1 ]] || return 0
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    echo "  perf data in $PERF_OUT"
}

# sample_waits DB OUT: samples the wait events of DB's sessions every 200 ms for the measurement's duration.
sample_waits() {
    local n=$(( seconds * 5 )) i
    for (( i = 0; i < n; i++ )); do
        echo "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' (' || state || ')'
              FROM pg_stat_activity WHERE datname = '$1' AND pid <> pg_backend_pid() AND state <> 'idle'
              UNION ALL SELECT 'idle sessions' FROM pg_stat_activity WHERE datname = '$1' AND state = 'idle';
              SELECT pg_sleep(0.2);"
    done | psql -X -q -At "$pg_url" 2>/dev/null | grep -v '^$' >"$2" || true
}

# print_waits FILE: the sampled wait events, most frequent first, as a share of the samples.
print_waits() {
    local samples=$(( seconds * 5 ))
    echo "  sessions' wait events (per sample, $samples samples):"
    sort "$1" | uniq -c | sort -rn | head -8 |
        awk -v n="$samples" '{ c = $1; $1 = ""; printf "    %5.2f %s\n", c / n, $0 }'
}

# checkpoint: each PostgreSQL measurement starts right after a checkpoint, so that none pays for the WAL of
# the one before it (a checkpoint that max_wal_size starts mid-run, and the full-page writes after one).
# pg_mark / pg_report MARK: the WAL written and the checkpoints started since the mark.
# BENCH_SKIP_CHECKPOINT=1 skips it (to see what it corrects).
checkpoint() { [[ -n "${BENCH_SKIP_CHECKPOINT:-}" ]] || psql_ -c CHECKPOINT; }
pg_mark() { psql_ -Atc "SELECT pg_current_wal_lsn() || ' ' || (checkpoints_timed + checkpoints_req) FROM pg_stat_bgwriter"; }
pg_report() {
    local lsn count
    read -r lsn count <<<"$1"
    psql_ -Atc "SELECT '  WAL written: ' || round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn') / 1048576.0, 1)
        || ' MiB; checkpoints started: ' || (checkpoints_timed + checkpoints_req - $count) FROM pg_stat_bgwriter"
}

# warm URL SCRIPT CONNECTIONS THREADS: two seconds of the same load, not measured (connections, caches).
warm() { wrk -t"$4" -c"$3" -d2s -s "$2" "$1/v1/escrows" >/dev/null; }
# measure URL SCRIPT CONNECTIONS THREADS OUT
measure() { wrk -t"$4" -c"$3" -d"$duration" --latency -s "$2" "$1/v1/escrows" >"$5"; }

echo "machine: $(nproc) cores; kura: $KURA_BIN"
echo "server: $(psql_ -Atc 'SELECT version()' | cut -d' ' -f1-2), fsync=$(psql_ -Atc 'SHOW fsync'), synchronous_commit=$(psql_ -Atc 'SHOW synchronous_commit')"
for name in kura1 kura2 pgbench; do psql_ -c "CREATE DATABASE $name"; done

echo
echo "== 1. SQLite, one kura serve, 64 connections, $duration; load $(load)"
kura_start_server --rate-limit 0 --anonymous-rate-limit 0
escrow_script "$url" "$key" "$work/sqlite.lua"
warm "$url" "$work/sqlite.lua" 64 "$threads"
measure "$url" "$work/sqlite.lua" 64 "$threads" "$work/sqlite.out"
record "SQLite, 1 node, 64 connections" "$work/sqlite.out"
stop_node "$server_pid"

pg_key1="$(json_field operatorApiKey <<<"$("$KURA_BIN" init --db "$pg_base/kura1" --service-key-file "$work/kura1.key" --json)")"
start_node "$pg_base/kura1" "$work/kura1.key" "$work/node1.log"
node1="$node_url" node1_pid="$node_pid"
escrow_script "$node1" "$pg_key1" "$work/pg1.lua"
pg_key2="$(json_field operatorApiKey <<<"$("$KURA_BIN" init --db "$pg_base/kura2" --service-key-file "$work/kura2.key" --json)")"
start_node "$pg_base/kura2" "$work/kura2.key" "$work/node2a.log"
node2a="$node_url" node2a_pid="$node_pid"
start_node "$pg_base/kura2" "$work/kura2.key" "$work/node2b.log"
node2b="$node_url" node2b_pid="$node_pid"
escrow_script "$node2a" "$pg_key2" "$work/pg2.lua"
half=$(( threads > 1 ? threads / 2 : 1 ))
ratios=()
one_us=()
two_us=()
one_total=0
two_total=0
for (( round = 1; round <= rounds; round++ )); do
    tag=""
    [[ "$rounds" == 1 ]] || tag=", round $round"

    echo
    echo "== 2. PostgreSQL, one node, 64 connections, $duration$tag; load $(load)"
    warm "$node1" "$work/pg1.lua" 64 "$threads"
    checkpoint
    mark="$(pg_mark)"
    sample_waits kura1 "$work/waits1" &
    sampler=$!
    profile pg1 "$node1_pid"
    cpu_mark "$node1_pid"
    measure "$node1" "$work/pg1.lua" 64 "$threads" "$work/pg1.out"
    wait "$sampler"
    stop_profile
    record "PostgreSQL, 1 node, 64 connections$tag" "$work/pg1.out"
    one="$recorded"
    cpu_report "$one"
    one_us+=("$kura_us")
    pg_report "$mark"
    print_waits "$work/waits1"

    echo
    echo "== 3. PostgreSQL, two nodes on one database, 32 + 32 connections, $duration$tag; load $(load)"
    warm "$node2a" "$work/pg2.lua" 32 "$half" & warm_a=$!
    warm "$node2b" "$work/pg2.lua" 32 "$half" & warm_b=$!
    wait "$warm_a" "$warm_b"
    checkpoint
    mark="$(pg_mark)"
    sample_waits kura2 "$work/waits2" &
    sampler=$!
    profile pg2 "$node2a_pid" "$node2b_pid"
    cpu_mark "$node2a_pid" "$node2b_pid"
    measure "$node2a" "$work/pg2.lua" 32 "$half" "$work/pg2a.out" & wrk_a=$!
    measure "$node2b" "$work/pg2.lua" 32 "$half" "$work/pg2b.out" & wrk_b=$!
    wait "$wrk_a" "$wrk_b" "$sampler"
    stop_profile
    record "PostgreSQL, 2 nodes, 32 + 32 connections$tag" "$work/pg2a.out" "$work/pg2b.out"
    two="$recorded"
    cpu_report "$two"
    two_us+=("$kura_us")
    pg_report "$mark"
    print_waits "$work/waits2"
    ratios+=("$(python3 -c "print(f'{100 * $two / $one:.0f} %')")")
    one_total=$(( one_total + one ))
    two_total=$(( two_total + two ))
done
stop_node "$node1_pid"
events="$("$KURA_BIN" log verify --db "$pg_base/kura2" --json | json_field events)"
echo "  kura log verify on the two nodes' database: ok, $events events"
results+=("$(printf '%-54s %s per round; %s over all rounds' "two nodes ÷ one node" "${ratios[*]}" \
    "$(python3 -c "print(f'{100 * $two_total / $one_total:.0f} %')")")")
results+=("$(printf '%-54s one node %s µs; two nodes %s µs' "Kura's CPU per request, by round" "${one_us[*]}" "${two_us[*]}")")

echo
echo "== 4. pgbench -N (simple-update), 64 clients, $duration; load $(load)"
pgbench -i -q -s 10 "$pg_base/pgbench" >/dev/null 2>&1
checkpoint
pgbench -N -c 64 -j 2 -T "$seconds" -n -r "$pg_base/pgbench" >"$work/pgbench.out" 2>&1
pgbench_rate="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out")"
pgbench_latency="$(sed -n 's/^latency average = \(.*\)$/\1/p' "$work/pgbench.out")"
line="$(printf '%-54s %8.0f tx/s   latency average %s' "pgbench -N, 64 clients" "$pgbench_rate" "$pgbench_latency")"
echo "$line"
results+=("$line")

echo
echo "== summary (load after: $(load))"
printf '%s\n' "${results[@]}"
