#!/usr/bin/env bash
# Exercises the deployment files in deploy/:
#
#   1. the systemd units (kura.service, kura-backup.service, kura-backup.timer) pass `systemd-analyze verify`
#      with no complaint at all (an unknown key is a failure here, not a warning), where systemd-analyze exists;
#   2. kura.service's own command line and environment, with deploy/kura.conf, start a real server: /readyz
#      answers 200 and the metrics listener of the file answers /metrics; kura-backup.service's command then
#      writes a verified copy;
#   3. deploy/Containerfile builds and the image serves /readyz, where a container engine answers
#      (docker or podman); skipped, and said so, where none does.
#
#   scripts/check-deploy.sh
#
# Environment: KURA_BIN (default .build/debug/kura, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${KURA_BIN:-}" ]]; then
    [[ -x .build/debug/kura ]] || swift build --product kura >&2
    KURA_BIN="$PWD/.build/debug/kura"
fi
KURA_BIN="$(cd "$(dirname "$KURA_BIN")" && pwd)/$(basename "$KURA_BIN")"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# The units as installed, but naming this build's binary and this checkout's configuration file.
units=(kura.service kura-backup.service kura-backup.timer)
for unit in "${units[@]}"; do
    sed -e "s#/usr/local/bin/kura#$KURA_BIN#g" -e "s#/etc/kura/kura.conf#$PWD/deploy/kura.conf#g" \
        "deploy/$unit" >"$work/$unit"
done

if command -v systemd-analyze >/dev/null 2>&1; then
    output="$(cd "$work" && systemd-analyze verify "${units[@]}" 2>&1)" || { echo "$output" >&2; exit 1; }
    if [[ -n "$output" ]]; then echo "$output" >&2; echo "systemd-analyze verify complained" >&2; exit 1; fi
    echo "ok   systemd-analyze verify: ${units[*]} ($(systemd-analyze --version | head -n1))"
else
    echo "skip systemd-analyze verify: systemd-analyze is not installed"
fi

# ExecStart and Environment of kura.service, run as the unit would (state in a temporary directory, any free
# ports: the environment beats the file).
exec_start="$(sed -n 's/^ExecStart=//p' "$work/kura.service")"
mapfile -t environment < <(sed -n 's/^Environment=//p' "$work/kura.service")
state="$work/state"
mkdir -p "$state"
(cd "$state" && exec env "${environment[@]}" KURA_DB="$state/kura.sqlite" KURA_PORT=0 KURA_METRICS_PORT=0 \
    $exec_start >"$work/serve.out" 2>"$work/serve.err") &
pids+=($!)
for _ in $(seq 1 100); do
    grep -q '^metrics on ' "$work/serve.out" 2>/dev/null && grep -q '^listening on ' "$work/serve.out" && break
    sleep 0.1
done
api="$(sed -n 's/^listening on //p' "$work/serve.out")"
metrics="$(sed -n 's/^metrics on //p' "$work/serve.out")"
[[ -n "$api" && -n "$metrics" ]] || { cat "$work/serve.out" "$work/serve.err" >&2; echo "kura.service did not start" >&2; exit 1; }
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/readyz")" == 200 ]] || { echo "/readyz is not 200" >&2; exit 1; }
scrape="$(curl -fsS "$metrics")"
grep -q '^kura_http_requests_total{' <<<"$scrape" || { echo "no request metrics at $metrics" >&2; exit 1; }
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/metrics")" == 404 ]] || { echo "/metrics on the API port" >&2; exit 1; }
grep -q '"message":"request"' "$work/serve.err" || { echo "no JSON request log line" >&2; exit 1; }
echo "ok   kura.service's command with deploy/kura.conf: $api/readyz 200, $metrics, JSON request log"

# kura-backup.service's command, on the live database.
backup="$(sed -n 's/^ExecStart=//p' "$work/kura-backup.service" | sed -e "s#/var/lib/kura-backups#$work#g" \
    -e "s#/var/lib/kura/#$state/#g" -e 's/%%/%/g')"
eval "$backup" >"$work/backup.out"
grep -q '^ok: .*verified$' "$work/backup.out" || { cat "$work/backup.out" >&2; exit 1; }
echo "ok   kura-backup.service's command: $(cat "$work/backup.out")"

engine=""
for candidate in docker podman; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" info >/dev/null 2>&1; then engine="$candidate"; break; fi
done
if [[ -z "$engine" ]]; then
    echo "skip container build: no container engine answers here (docker/podman info failed or absent)"
    exit 0
fi
"$engine" build -f deploy/Containerfile -t kura-check:latest .
container="$("$engine" run -d -p 127.0.0.1::8402 kura-check:latest)"
trap '"$engine" rm -f "$container" >/dev/null; cleanup' EXIT
port="$("$engine" port "$container" 8402 | head -n1 | sed 's/.*://')"
for _ in $(seq 1 100); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" == 200 ]] && break
    sleep 0.2
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" == 200 ]] \
    || { "$engine" logs "$container" >&2; echo "the container is not ready" >&2; exit 1; }
echo "ok   $engine: deploy/Containerfile builds; the container answers /readyz"
