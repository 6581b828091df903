#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` and `pg_ctl` in a temporary
# directory, listening on a free loopback port and on a Unix socket in that directory, owned by an
# unprivileged user when run as root (the server refuses to run as root).
#
#   pg-cluster.sh start [--dir DIR] [--port N] [--watch PID] [--durable]
#       Creates and starts a cluster; prints its superuser URL (postgres://kura@127.0.0.1:PORT/postgres)
#       on stdout and nothing else. DIR defaults to a fresh mktemp directory. With --watch PID, a detached
#       watcher stops the cluster and removes DIR once process PID has exited (a test runner that is
#       killed leaves nothing running). Without --durable the cluster runs with fsync=off: test data need
#       not survive a power cut, and a benchmark passes --durable.
#   pg-cluster.sh stop DIR        Stops the cluster (fast shutdown) and removes DIR.
#   pg-cluster.sh halt DIR        Stops the server (fast shutdown: sessions are ended) but keeps its data.
#   pg-cluster.sh resume DIR      Starts a halted server again on the same port.
#   pg-cluster.sh url DIR         Prints the URL of a running cluster.
#   pg-cluster.sh bin             Prints the directory of the server's binaries.
#
# The server's binaries are found in $PG_BIN, else the newest /usr/lib/postgresql/*/bin (Debian), else PATH.
set -euo pipefail

pg_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
    local newest=""
    newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
    if [[ -n "$newest" && -x "$newest/initdb" ]]; then echo "$newest"; return; fi
    local initdb
    initdb="$(command -v initdb || true)"
    [[ -n "$initdb" ]] || { echo "pg-cluster: no PostgreSQL server binaries (run scripts/setup.sh)" >&2; exit 1; }
    dirname "$(readlink -f "$initdb")"
}

# as_owner CMD…: runs CMD as the cluster's owner (nobody when we are root, else ourselves).
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

url_of() { echo "postgres://kura@127.0.0.1:$(cat "$1/port")/postgres"; }

start() {
    local dir="" port="" watch="" durable=0
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --dir) dir="$2"; shift 2 ;;
            --port) port="$2"; shift 2 ;;
            --watch) watch="$2"; shift 2 ;;
            --durable) durable=1; shift ;;
            *) echo "pg-cluster: unknown option $1" >&2; exit 64 ;;
        esac
    done
    local bin
    bin="$(pg_bin)"
    [[ -n "$dir" ]] || dir="$(mktemp -d "${TMPDIR:-/tmp}/kura-pg-XXXXXX")"
    mkdir -p "$dir"
    # The owner needs to reach the directory: /tmp is world-searchable, a root-only parent is not.
    if [[ "$(id -u)" == 0 ]]; then chown nobody:nogroup "$dir"; fi
    chmod 700 "$dir"
    local fsync=off sync=--no-sync
    [[ $durable == 1 ]] && { fsync=on; sync=""; }
    as_owner "$bin/initdb" -D "$dir/data" --username=kura --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        --no-instructions $sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    local attempt log
    for attempt in 1 2 3 4 5; do
        local p="${port:-$(free_port)}"
        {
            echo "listen_addresses = '127.0.0.1'"
            echo "port = $p"
            echo "unix_socket_directories = '$dir'"
            echo "max_connections = 400"
            echo "fsync = $fsync"
            echo "full_page_writes = $fsync"
            echo "synchronous_commit = on"
            echo "log_min_messages = warning"
            echo "log_min_error_statement = panic"
        } | as_owner tee "$dir/data/postgresql.auto.conf" >/dev/null
        log="$dir/server.log"
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$log" -w -t 60 start >/dev/null 2>&1; then
            echo "$p" | as_owner tee "$dir/port" >/dev/null
            break
        fi
        # Someone took the port between our probe and the server's bind: try another one.
        [[ -z "$port" && $attempt -lt 5 ]] || { cat "$log" >&2 2>/dev/null; exit 1; }
    done
    if [[ -n "$watch" ]]; then
        # Detached, with no inherited descriptors, so the caller is not kept waiting on our output.
        setsid bash -c '
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            "$0" stop "$2"' "$(readlink -f "$0")" "$watch" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    url_of "$dir"
}

stop() {
    local dir="${1:?pg-cluster stop DIR}"
    [[ -d "$dir/data" ]] && as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

halt() {
    local dir="${1:?pg-cluster halt DIR}"
    as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

resume() {
    local dir="${1:?pg-cluster resume DIR}"
    as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

case "${1:-}" in
    start) shift; start "$@" ;;
    halt) halt "${2:-}" ;;
    resume) resume "${2:-}" ;;
    stop) shift; stop "$@" ;;
    url) url_of "${2:?pg-cluster url DIR}" ;;
    bin) pg_bin ;;
    *) sed -n '2,19p' "$0" >&2; exit 64 ;;
esac
