#!/usr/bin/env bash
# Profiles the single writer of a live `kura serve` (release build) under load: escrow opens
# (POST /v1/escrows) or facilitator verify+settle pairs, through wrk for a fixed time. Prints the writer
# thread's CPU time per command (from /proc, so it does not depend on how busy the rest of the machine is),
# the bytes it wrote per command (its WAL frames and checkpoint copies, /proc's wchar), its batches (how many, how
# large, and the share of the run's wall time it held one, from /metrics), and its top functions
# from `perf record` (self, and inclusive with call graphs), and leaves perf.data in $OUT.
#
# (valgrind 3.19 on these machines cannot read the Swift 6 toolchain's debug information and crashes, so
# perf is used; its percentages are shares of the writer thread's own samples.)
#
#   scripts/profile-writer.sh [escrows|pairs] [duration in seconds, default 20s] [connections, default 64]
#
# Environment: KURA_BIN (a prebuilt kura; default: build `-c release`), OUT (default: ./profile-out), PERF=0 to
# measure the CPU time per command alone, without perf's own overhead (for before/after comparisons), PAGES=1 to
# also say which B-trees the pages a commit writes belong to (a copy of the database and its WAL is taken two thirds
# into the run; scripts/lib/wal-pages.py reads the last commits of its WAL).
# Not run in CI. Record the top items in Docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
workload="${1:-escrows}"
duration="${2:-20s}"
connections="${3:-64}"
out="${OUT:-$PWD/profile-out}"
mkdir -p "$out"

. scripts/lib/kura-server.sh
kura_require_wrk
record="${PERF:-1}"
[[ "$record" == 0 ]] || command -v perf >/dev/null || { echo "perf is needed (apt-get install linux-perf)" >&2; exit 1; }
kura_start_server

read -r agent agent_key <<<"$(register "profile agent" agent)"
read -r provider _ <<<"$(register "profile provider" provider)"
post "/v1/accounts/$agent/deposits" "$key" '{"asset":"USDC","amount":4503599627370496}' >/dev/null
if [[ "$workload" == escrows ]]; then
    deliver_by=$(( $(date +%s) * 1000 + 7 * 86400000 ))
    cat >"$work/load.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"payee":"$provider","amount":1000,"asset":"USDC","deliverBy":$deliver_by}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $agent_key"
LUA
    target="$url/v1/escrows"
else
    expires=$(( $(date +%s) * 1000 + 7 * 86400000 ))
    mandate="$(json_field id <<<"$(post /v1/mandates "$agent_key" "{\"agent\":\"$agent\",\"asset\":\"USDC\",\"amount\":4503599627370496,\"perTxCap\":1000,\"dailyCap\":4503599627370496,\"allowedCounterparties\":[],\"expiresAt\":$expires}")")"
    cat >"$work/load.lua" <<LUA
local verify_body = '{"amount":1000,"lane":"enterprise","mandate":"$mandate","agent":"$agent","counterparty":"$provider"}'
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $agent_key" }
local queue = {}
function request()
    local next = table.remove(queue)
    if next then
        return wrk.format("POST", "/x402/settle", headers,
            '{"reservationId":"' .. next[1] .. '","envelope":"' .. next[2] .. '"}')
    end
    return wrk.format("POST", "/x402/verify", headers, verify_body)
end
function response(status, hdrs, body)
    local id = string.match(body, '"reservationId":"([^"]+)"')
    if id then table.insert(queue, { id, string.match(body, '"envelope":"([^"]+)"') }) end
end
LUA
    target="$url/x402/verify"
fi
snapshot() { for f in /proc/"$server_pid"/task/*/stat; do awk '{ print $1, $14 + $15 }' "$f"; done; }
# The writer and the checkpointer name their threads.
thread_named() { { grep -l "^$1\$" /proc/"$server_pid"/task/*/comm || true; } | head -n1 | cut -d/ -f5; }
writer_tid="$(thread_named kura-writer)"
checkpointer_tid="$(thread_named kura-checkpoint)"
count() {
    sqlite3 "$work/bench.sqlite" \
        "SELECT count(*) FROM events WHERE type IN ('escrow.locked','reservation.reserved','reservation.settled')"
}
# Bytes the writer hands to write(2)/pwrite(2): its WAL frames (24-byte header + one page each) and the pages
# its own checkpoints copy into the database file.
written() { awk '/^wchar/ { print $2 }' "/proc/$server_pid/task/$writer_tid/io" 2>/dev/null || echo 0; }
# The writer's batches: how many, their commands, and the wall time from taking the lock to the commit.
# One scrape of /metrics per side of the run, read twice: the batch sums, and the commit histogram's buckets.
metrics() { curl -fsS "$url/metrics" -H "Authorization: Bearer $key" >"$1"; }
batches() {
    awk '/^kura_writer_batch_commands_(sum|count) |^kura_writer_commit_duration_seconds_sum / { printf "%s=%s ", $1, $2 }' "$1"
}
commit_buckets() {
    awk -F'[{}"]' '/^kura_writer_commit_duration_seconds_bucket/ { split($0, f, " "); print $3, f[2] }' "$1"
}
snapshot >"$work/cpu0"; commands0="$(count)"; written0="$(written)"; metrics "$work/metrics0"
batches0="$(batches "$work/metrics0")"; commit_buckets "$work/metrics0" >"$work/commits0"
if [[ "$record" != 0 ]]; then
    perf record -q -F 499 --call-graph dwarf,16384 -p "$server_pid" -o "$out/perf.$workload.data" 2>/dev/null &
    perf_pid=$!
fi
if [[ "${PAGES:-0}" == 1 ]]; then
    seconds="${duration%s}"
    ( sleep $(( seconds * 2 / 3 )); kill -STOP "$server_pid"; cp "$work/bench.sqlite" "$work/pages.sqlite"
      cp "$work/bench.sqlite-wal" "$work/pages.sqlite-wal"; kill -CONT "$server_pid" ) &
    pages_pid=$!
fi
echo "== $workload: $connections connections, $duration"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/load.lua" "$target"
[[ "$record" == 0 ]] || { kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; }
snapshot >"$work/cpu1"; commands1="$(count)"; written1="$(written)"; metrics "$work/metrics1"
batches1="$(batches "$work/metrics1")"; commit_buckets "$work/metrics1" >"$work/commits1"
if [[ -z "$writer_tid" && "$record" != 0 ]]; then
    # An older build without thread names: the writer is the thread under which the batch loop runs.
    writer_tid="$(perf report -i "$out/perf.$workload.data" --children --sort pid,symbol --stdio -g none 2>/dev/null \
        | grep "GroupCommitWriter.*execute" | sort -k1 -rn | head -n1 | awk "{ print \$3 }" | cut -d: -f1)"
fi
python3 - "$work/cpu0" "$work/cpu1" "$(getconf CLK_TCK)" "$(( commands1 - commands0 ))" "$writer_tid" \
    "$checkpointer_tid" "$(( written1 - written0 ))" "$batches0" "$batches1" "${duration%s}" \
    "$work/commits0" "$work/commits1" <<'PY'
import sys
def load(path): return {line.split()[0]: float(line.split()[1]) for line in open(path)}
before, after = load(sys.argv[1]), load(sys.argv[2])
ticks, commands, tid, checkpointer = float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
written = int(sys.argv[7])
def used(t): return (after.get(t, 0) - before.get(t, 0)) / ticks
seconds, total = used(tid), sum(used(t) for t in after)
per = lambda s: 1e6 * s / max(commands, 1)
print(f"{commands} commands: whole server {total:.2f} CPU s = {per(total):.1f} µs per command")
if tid:
    print(f"writer thread {tid}: {seconds:.2f} CPU s = {per(seconds):.1f} µs per command; "
          f"checkpointer {per(used(checkpointer)):.1f} µs per command")
    if written > 0:  # the writer's thread was known before the run (a build that names its threads)
        print(f"writer wrote {written / max(commands, 1):,.0f} bytes per command (WAL frames and checkpoint copies)")
else:
    print("(this build does not name its threads: the writer's own share is not known)")
b0, b1 = [dict((kv.split("=")[0], float(kv.split("=")[1])) for kv in arg.split()) for arg in sys.argv[8:10]]
if len(b0) == 3 and b0.keys() == b1.keys():
    commands_sum, batch_count, batch_seconds = (b1[k] - b0[k] for k in (
        "kura_writer_batch_commands_sum", "kura_writer_batch_commands_count", "kura_writer_commit_duration_seconds_sum"))
    print(f"{batch_count:.0f} batches of {commands_sum / max(batch_count, 1):.1f} commands; the writer held a batch "
          f"{100 * batch_seconds / float(sys.argv[10]):.0f} % of the run's wall time "
          f"({1e6 * batch_seconds / max(commands_sum, 1):.1f} µs per command)")
# The batches' durations (lock to commit) by the histogram's upper bounds: where the slow ones are.
c0, c1 = [dict(line.split() for line in open(path)) for path in sys.argv[11:13]]
if c1:
    cumulative = [(le, float(c1[le]) - float(c0.get(le, 0))) for le in c1]
    shares, below = [], 0.0
    for le, count in cumulative:
        shares.append(f"≤{le}s {count - below:.0f}")
        below = count
    print("batches by duration: " + ", ".join(shares))
PY
if [[ "${PAGES:-0}" == 1 ]]; then
    wait "$pages_pid"
    echo "== pages a commit writes, by B-tree"
    python3 scripts/lib/wal-pages.py "$work/pages.sqlite"
fi
[[ "$record" != 0 ]] || exit 0
perf report -i "$out/perf.$workload.data" --tid "$writer_tid" --no-children --percentage relative --sort symbol --stdio -g none 2>/dev/null \
    >"$out/self.$workload.txt" || true
perf report -i "$out/perf.$workload.data" --tid "$writer_tid" --children --percentage relative --sort symbol --stdio -g none 2>/dev/null \
    >"$out/inclusive.$workload.txt" || true
set +o pipefail
echo "== writer thread, self (top 30)"
grep -v '^#' "$out/self.$workload.txt" | grep '%' | head -30 | swift demangle --simplified | cut -c1-200
echo "== writer thread, inclusive (top 40)"
grep -v '^#' "$out/inclusive.$workload.txt" | grep '%' | head -40 | swift demangle --simplified | cut -c1-200
