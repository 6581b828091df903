# Sourced by the benchmark and check scripts (never run on its own): builds or finds a release `kura`,
# starts `kura serve` on a free loopback port in a temporary directory, and stops everything on exit.
#
# After `kura_start_server`:  $work (temporary directory), $KURA_BIN, $key (the operator's API key),
# $url (http://127.0.0.1:PORT), $server_pid. Helpers: json_field, wait_listening, post, pubkey, register,
# rss, kura_require_wrk, escrow_script. Other background processes to stop on exit go in the array kura_pids.

kura_pids=()
work=""

kura_cleanup() {
    local i pid
    # Newest first: a provider stops (and settles) while the kura serve it talks to still runs.
    for (( i = ${#kura_pids[@]} - 1; i >= 0; i-- )); do
        pid="${kura_pids[i]}"
        if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" && wait "$pid" 2>/dev/null || true; fi
    done
    [[ -n "$work" ]] && rm -rf "$work"
}
trap kura_cleanup EXIT

# json_field PATH <<<"$json": prints d[a][b] for PATH a.b.
json_field() { python3 -c 'import json, sys; d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }

kura_require_wrk() {
    command -v wrk >/dev/null 2>&1 && return
    echo "installing wrk…" >&2
    if [[ "$(id -u)" == 0 ]]; then apt-get install -y wrk >&2; else sudo apt-get install -y wrk >&2; fi
}

# kura_build_release PRODUCT…: builds the products in release mode; sets KURA_BIN unless given.
kura_build_release() {
    local product
    for product in "$@"; do swift build -c release --product "$product" >&2; done
    KURA_RELEASE_DIR="$(swift build -c release --show-bin-path)"
    KURA_BIN="${KURA_BIN:-$KURA_RELEASE_DIR/kura}"
}

# wait_listening LOG PID: prints the port once the process at PID has written "listening on …:PORT".
wait_listening() {
    local port=""
    for _ in $(seq 1 "${KURA_WAIT_TICKS:-100}"); do
        port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$1" | head -n1)"
        [[ -n "$port" ]] && { echo "$port"; return; }
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    cat "$1" >&2
    echo "the process did not say where it listens" >&2
    exit 1
}

# kura_start_server [serve flags…]: a fresh database and `kura serve` on it. KURA_SERVE_PREFIX (e.g. a valgrind
# command line) runs the server under another program.
kura_start_server() {
    [[ -n "${KURA_BIN:-}" ]] || kura_build_release kura
    work="$(mktemp -d)"
    local db="$work/bench.sqlite"
    key="$(json_field operatorApiKey <<<"$("$KURA_BIN" init --db "$db" --json)")"
    # shellcheck disable=SC2086
    ${KURA_SERVE_PREFIX:-} "$KURA_BIN" serve --db "$db" --host 127.0.0.1 --port 0 --log-level warning "$@" \
        >"$work/serve.log" 2>&1 &
    server_pid=$!
    kura_pids+=("$server_pid")
    url="http://127.0.0.1:$(wait_listening "$work/serve.log" "$server_pid")"
}

# post PATH BEARER BODY
post() { curl -fsS -X POST "$url$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
pubkey() { python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'; }
# register NAME ROLE: prints "id apiKey" (the operator registers it with a random key).
register() {
    local reply
    reply="$(post /v1/parties "$key" "{\"name\":\"$1\",\"roles\":[\"$2\"],\"publicKey\":\"$(pubkey)\"}")"
    echo "$(json_field party.id <<<"$reply") $(json_field apiKey <<<"$reply")"
}
rss() { awk '/VmRSS/ { print $2 " kB" }' "/proc/$server_pid/status"; }

# escrow_script URL OPERATOR_KEY OUT [DELIVER_BY_MS]: registers a payer and a payee on the server at URL, funds the
# payer, and writes wrk's Lua script that opens an escrow between them on every request, due at DELIVER_BY_MS
# (default: in a week; wrk prints its error counts at the end). Sets escrow_payer and escrow_payer_key. No request
# carries an Idempotency-Key, unless IDEMPOTENCY_KEYS=1: then each carries a fresh one, as KuraClient's POSTs do
# (wrk then makes every request in Lua, which costs the load generator, on the same cores, some CPU).
escrow_script() {
    local saved_url="$url" saved_key="${key:-}" payer payer_key payee deliver_by
    url="$1" key="$2"
    read -r payer payer_key <<<"$(register "bench payer" agent)"
    read -r payee _ <<<"$(register "bench payee" provider)"
    # 2^52 units: enough for far more escrows than any run opens.
    post "/v1/accounts/$payer/deposits" "$key" '{"asset":"USDC","amount":4503599627370496}' >/dev/null
    url="$saved_url" key="$saved_key"
    escrow_payer="$payer" escrow_payer_key="$payer_key"
    deliver_by="${4:-$(( $(date +%s) * 1000 + 7 * 86400000 ))}"
    cat >"$3" <<LUA
wrk.method = "POST"
wrk.body = '{"payee":"$payee","amount":1000,"asset":"USDC","deliverBy":$deliver_by}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $payer_key"
done = function(summary, latency, requests)
    io.write(string.format("non-2xx or errors: %d status, %d connect, %d read, %d write, %d timeout\n",
        summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
LUA
    [[ "${IDEMPOTENCY_KEYS:-0}" == 1 ]] || return 0
    cat >>"$3" <<'LUA'
local threads = 0
setup = function(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end
local sent = 0
request = function()
    sent = sent + 1
    wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d", thread_number, sent)
    return wrk.format()
end
LUA
}
