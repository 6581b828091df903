#!/usr/bin/env bash
# Fuzzes a live `kura serve` against Schemas/openapi.yaml with schemathesis (from PyPI).
#
#   scripts/schemathesis.sh [--short] [extra schemathesis options…]
#
# Builds `kura`, initialises a database in a temporary directory, serves it on a free loopback port,
# funds the operator, runs every check on every operation with the operator's API key, and stops the
# server (SIGTERM, graceful). Fails on any server error, any answer outside the spec (status, media
# type, body schema, headers) or a crash in the server's log.
#
# --short: the CI form (scripts/test.sh): 4 examples per operation, seeded, about a minute.
# Without it: ST_MAX_EXAMPLES (default 50) per operation, minutes.
# Environment: KURA_BIN (a prebuilt kura to use instead of building), ST_MAX_EXAMPLES, ST_WORKERS (default 1:
# with more, schemathesis 4.32 hit internal "AST constructor recursion depth mismatch" errors in
# hypothesis, not in Kura). schemathesis is installed from PyPI into .build-tools/schemathesis (a venv
# kept between runs) unless one is on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

short=0
if [[ "${1:-}" == "--short" ]]; then
    short=1
    shift
fi

if ! command -v schemathesis >/dev/null 2>&1; then
    venv=.build-tools/schemathesis
    if [[ ! -x "$venv/bin/schemathesis" ]]; then
        echo "installing schemathesis from PyPI into $venv…" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
    fi
    export PATH="$PWD/$venv/bin:$PATH"
fi
echo "schemathesis: $(schemathesis --version)" >&2

if [[ -z "${KURA_BIN:-}" ]]; then
    swift build --product kura >&2
    KURA_BIN="$(swift build --show-bin-path)/kura"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" && wait "$server_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

db="$work/s.sqlite"
"$KURA_BIN" init --db "$db" --json >"$work/init.json"
key="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["operatorApiKey"])' "$work/init.json")"
operator="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["operatorId"])' "$work/init.json")"

"$KURA_BIN" serve --db "$db" --host 127.0.0.1 --port 0 --log-level warning >"$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$work/serve.log" | head -n1)"
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$port" ]] || { echo "the server did not say where it listens" >&2; cat "$work/serve.log" >&2; exit 1; }
url="http://127.0.0.1:$port"
echo "serving $db at $url" >&2

# Give the operator money, so that some generated escrows can lock funds.
curl -fsS -X POST "$url/v1/accounts/$operator/deposits" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d '{"asset":"USDC","amount":1000000000}' >/dev/null

# The schema cannot say everything the server checks (deliverBy in the future, payee other than payer,
# a name not all blank, enough funds…), so schema-valid data may also be refused with 400 or 422.
cat >"$work/schemathesis.toml" <<'TOML'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]
TOML

examples="${ST_MAX_EXAMPLES:-50}"
seed=()
if [[ "$short" == 1 ]]; then
    examples="${ST_MAX_EXAMPLES:-4}"
    seed=(--seed 14)
fi

status=0
schemathesis --config-file "$work/schemathesis.toml" run Schemas/openapi.yaml \
    --url "$url" \
    -H "Authorization: Bearer $key" \
    --checks all \
    --max-examples "$examples" \
    "${seed[@]}" \
    --workers "${ST_WORKERS:-1}" \
    --suppress-health-check all \
    "$@" || status=$?

if grep -qiE 'fatal|crash' "$work/serve.log"; then
    echo "the server log shows a crash:" >&2
    cat "$work/serve.log" >&2
    status=1
fi
exit "$status"
