#!/usr/bin/env bash
# The load soak of Docs/reliability.md: `kura serve` under a steady mixed load (default 10 minutes at 40
# requests a second), with RSS, open file descriptors, database and WAL size and latency sampled every
# second into a CSV, then a summary that compares the first and the last minute. Nothing may grow without
# bound: RSS and descriptors level off, the WAL is checkpointed, latency does not climb.
#
#   scripts/soak.sh [SECONDS] [RATE] [OUT.csv]
#
# KURA_BIN: a prebuilt kura (default: builds the release binary). Run it on a quiet machine; the machine's
# load average is in the CSV beside every sample. The server inherits the environment, so its settings can
# be given there: KURA_SQLITE_CACHE_MIB=1 scripts/soak.sh bounds SQLite's page caches to about 5 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
rate="${2:-40}"
out="${3:-soak.csv}"
if [[ -z "${KURA_BIN:-}" ]]; then
    swift build -c release --product kura >&2
    KURA_BIN="$(swift build -c release --show-bin-path)/kura"
fi
work="$(mktemp -d)"
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
    rm -rf "$work"
}
trap cleanup EXIT
db="$work/soak.sqlite"
"$KURA_BIN" init --db "$db" --json >"$work/init.json"
key="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["operatorApiKey"])' "$work/init.json")"
"$KURA_BIN" serve --db "$db" --host 127.0.0.1 --port 0 --log-level warning >"$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$work/serve.log" | head -n1)"
    [[ -n "$port" ]] && break
    sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/serve.log" >&2; exit 1; }
echo "soak: $seconds s at $rate requests/s against pid $server_pid (load before: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
status=0
KURA_SOAK_DB="$db" python3 scripts/soak.py "http://127.0.0.1:$port" "$key" "$server_pid" "$seconds" "$rate" "$out" || status=$?
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def window(rs, key):
    values = [float(r[key]) for r in rs if r[key] not in ("", None)]
    return statistics.mean(values) if values else float("nan")
first, last = rows[:60], rows[-60:]
print(f"{len(rows)} samples; first minute → last minute:")
for key, unit in [("rss_kb", "KiB"), ("rss_anon_kb", "KiB"), ("sqlite_bytes", "B"), ("fds", ""), ("wal_bytes", "B"), ("db_bytes", "B"), ("p50_ms", "ms"), ("p99_ms", "ms"), ("done", "/s"), ("load1", "")]:
    print(f"  {key:10} {window(first, key):12.1f} → {window(last, key):12.1f} {unit}")
print(f"  max RSS {max(int(r['rss_kb']) for r in rows)} KiB, max fds {max(int(r['fds']) for r in rows)}, max WAL {max(int(r['wal_bytes']) for r in rows)} B, errors {rows[-1]['errors']}, limited {rows[-1].get('limited', '?')}")
PY
exit "$status"
