#!/usr/bin/env python3
"""The soak of Docs/reliability.md: a steady mixed load on one `kura serve`, sampled every second.

    soak.py URL OPERATOR_KEY PID SECONDS RATE OUT.csv

Each second RATE requests are started on schedule (escrow lock/deliver/confirm as two parties, deposits,
and anonymous public reads: receipts by kind, the checkpoint, a bundle, a reputation) by a pool of
keep-alive connections; then the server's RSS (and its anonymous part: the heap and stacks, without the
mapped binary), what SQLite has allocated (`kura_sqlite_memory_bytes` from `GET /metrics`: its page caches,
statements and schemas), open file descriptors, the database and WAL sizes, the requests answered and their
latency percentiles are written as one CSV row. An anonymous read answered
429 is counted in `limited` (a generator that fell behind catches up in a burst, which the public rate
limit refuses as it should); anything else unexpected (a 5xx, a connection error) is an error, and the
script exits 1 if there was one. Standard library only.
"""
import csv, http.client, json, os, queue, sys, threading, time, urllib.parse

url, operator_key, pid, seconds, rate, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
parsed = urllib.parse.urlparse(url)
db = os.environ.get("KURA_SOAK_DB", "")

def connect():
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)

local = threading.local()
def call(method, path, key=None, body=None):
    if not hasattr(local, "conn"):
        local.conn = connect()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(2):
        try:
            local.conn.request(method, path, body=data, headers=headers)
            response = local.conn.getresponse()
            payload = response.read()
            return response.status, payload
        except (http.client.HTTPException, OSError):
            local.conn.close()
            local.conn = connect()
            if attempt == 1:
                raise

class Limited(Exception):
    pass

def must(status_body, *ok):
    status, body = status_body
    if status == 429 and 429 not in ok:
        raise Limited()
    if status not in ok:
        raise RuntimeError(f"{status} {body[:200]!r}")
    return json.loads(body) if body and body[:1] in b"{[" else body

# Setup: two parties, money.
def register(name, roles):
    import base64
    key = base64.b64encode(os.urandom(32)).decode()  # any 32 bytes: soak parties never sign requests
    return must(call("POST", "/v1/parties", operator_key, {"name": name, "roles": roles, "publicKey": key}), 201)
payer = register("soak-payer", ["agent"])
payee = register("soak-payee", ["provider"])
payer_id, payer_key = payer["party"]["id"], payer["apiKey"]
payee_id, payee_key = payee["party"]["id"], payee["apiKey"]
must(call("POST", f"/v1/accounts/{payer_id}/deposits", operator_key, {"asset": "USDC", "amount": 10**15}), 200)

latencies = queue.Queue()
errors = []
limited = []
counter = [0]
counter_lock = threading.Lock()

def operation(n):
    kind = n % 10
    if kind in (0, 1, 2):  # an escrow's whole life: three requests
        deliver_by = int(time.time() * 1000) + 3_600_000
        escrow = must(call("POST", "/v1/escrows", payer_key, {"payee": payee_id, "amount": 10, "asset": "USDC", "deliverBy": deliver_by}), 201)
        must(call("POST", f"/v1/escrows/{escrow['id']}/deliver", payee_key, {"evidence": "ab" * 32}), 200)
        must(call("POST", f"/v1/escrows/{escrow['id']}/confirm", payer_key, {}), 200)
    elif kind == 3:
        must(call("POST", f"/v1/accounts/{payer_id}/deposits", operator_key, {"asset": "USDC", "amount": 1}), 200)
    elif kind == 4:
        must(call("GET", "/v1/receipts?kind=escrow.released&limit=20"), 200)
    elif kind == 5:
        must(call("GET", "/v1/log/checkpoint"), 200)
    elif kind == 6:
        must(call("GET", "/v1/receipts/0/bundle"), 200, 503)
    elif kind == 7:
        must(call("GET", f"/v1/reputation/{payee_id}"), 200)
    elif kind == 8:
        must(call("GET", f"/v1/accounts/{payer_id}", payer_key), 200)
    else:
        must(call("GET", f"/v1/escrows?party={payer_id}&limit=20", payer_key), 200)

def worker(tasks):
    while True:
        item = tasks.get()
        if item is None:
            return
        n, scheduled = item
        start = time.monotonic()
        try:
            operation(n)
            latencies.put((time.monotonic() - start, start - scheduled))
        except Limited:
            limited.append(n)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            errors.append(f"{n}: {error}")

tasks = queue.Queue()
threads = [threading.Thread(target=worker, args=(tasks,), daemon=True) for _ in range(16)]
for thread in threads:
    thread.start()

metrics_conn = [None]
def sqlite_bytes():
    """`kura_sqlite_memory_bytes` from the operator's `GET /metrics` on its own connection; "" if unreadable."""
    try:
        if metrics_conn[0] is None:
            metrics_conn[0] = connect()
        metrics_conn[0].request("GET", "/metrics", headers={"Authorization": f"Bearer {operator_key}"})
        response = metrics_conn[0].getresponse()
        text = response.read().decode()
        for line in text.splitlines():
            if line.startswith("kura_sqlite_memory_bytes "):
                return int(float(line.split()[1]))
    except (http.client.HTTPException, OSError, ValueError):
        metrics_conn[0] = None
    return ""

def sample():
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                fields[name] = int(value.split()[0])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    size = lambda p: os.path.getsize(p) if p and os.path.exists(p) else 0
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0), sqlite_bytes(), fds, size(db), size(db + "-wal")

with open(out, "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["second", "rss_kb", "rss_anon_kb", "sqlite_bytes", "fds", "db_bytes", "wal_bytes", "done", "p50_ms", "p99_ms", "max_ms", "max_lag_ms", "errors", "limited", "load1"])
    start = time.monotonic()
    n = 0
    for second in range(seconds):
        tick = start + second
        for i in range(int(rate)):
            scheduled = tick + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            tasks.put((n, scheduled))
            n += 1
        time.sleep(max(0, start + second + 1 - time.monotonic()))
        done = []
        while not latencies.empty():
            done.append(latencies.get())
        done.sort()
        ms = [d[0] * 1000 for d in done]
        pct = lambda p: round(ms[min(len(ms) - 1, int(p * len(ms)))], 2) if ms else ""
        lag = round(max((d[1] for d in done), default=0) * 1000, 2)
        rss_kb, rss_anon_kb, sqlite_mem, fds, db_bytes, wal_bytes = sample()
        writer.writerow([second + 1, rss_kb, rss_anon_kb, sqlite_mem, fds, db_bytes, wal_bytes, len(done), pct(0.5), pct(0.99), round(max(ms), 2) if ms else "", lag, len(errors), len(limited), os.getloadavg()[0]])
        handle.flush()
for _ in threads:
    tasks.put(None)
for thread in threads:
    thread.join(timeout=60)
if errors:
    print(f"{len(errors)} errors; first: {errors[:3]}", file=sys.stderr)
    sys.exit(1)
