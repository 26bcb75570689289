#!/usr/bin/env python3
"""Measures one Safehold host on PostgreSQL for docs/scaling.md: whole order lifecycles a second, and what
each order costs the database in rows, bytes and WAL. Standard library only; see docs/scaling.md for the
exact commands (build, database, host) that come before it.

    python3 docs/scaling-measure.py --base http://127.0.0.1:5390 --admin-key KEY \
        --db "host=127.0.0.1 user=safehold password=safehold dbname=safehold_bench" \
        --host-pid PID --clients 16 --seconds 60

A lifecycle is: place an order, pay it with the sandbox's test card, ship it, confirm receipt (4 POSTs),
plus one GET of the order ("More details") between payment and shipment: 5 requests, 3 journal entries.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import threading
import time
import urllib.parse
import uuid


def psql(dsn, sql):
    out = subprocess.run(["psql", dsn, "-AtqX", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True,
                         env={**os.environ, "PGCONNECT_TIMEOUT": "5"})
    return [line.split("\t") for line in out.stdout.strip().splitlines() if line]


class Client:
    def __init__(self, base, key):
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                r = self.conn.getresponse()
                payload = r.read()
                return r.status, (json.loads(payload) if payload else None)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt == 2:
                    raise


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds():
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() not in ("postgres", "postmaster"):
                    continue
            total += cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--admin-key", required=True)
    p.add_argument("--db", required=True, help="libpq connection string of the host's database (for the sizes)")
    p.add_argument("--host-pid", type=int, required=True)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--sellers", type=int, default=50)
    p.add_argument("--mode", choices=["lifecycle", "checkout"], default="lifecycle",
                   help="checkout: place and pay only (what a sales peak is made of); lifecycle: through confirm-receipt")
    a = p.parse_args()

    admin = Client(a.base, a.admin_key)

    def user(role):
        s, body = admin.call("POST", "/api/v1/users", {"email": f"{role}-{uuid.uuid4().hex}@bench.test", "displayName": role, "role": role})
        assert s == 201, (s, body)
        return body["apiKey"]

    sellers = []
    for i in range(a.sellers):
        key = user("seller")
        s, prod = Client(a.base, key).call("POST", "/api/v1/products", {
            "title": f"Bench product {i}", "description": "A product for the benchmark, exactly as described.",
            "price": {"amount": 1999 + i, "currency": "USD"}, "handlingDays": 7})
        assert s == 201, (s, prod)
        sellers.append((key, prod["id"]))
    buyers = [user("buyer") for _ in range(a.clients)]

    before_rows = {r[0]: int(r[1]) for r in psql(a.db, 'SELECT \'orders\', count(*) FROM "Orders"')}
    wal_before = psql(a.db, "SELECT pg_current_wal_lsn()")[0][0]
    stats_sql = ("SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, tup_fetched FROM pg_stat_database "
                 "WHERE datname = current_database()")
    psql(a.db, "SELECT pg_stat_force_next_flush()")
    stats_before = [int(x) for x in psql(a.db, stats_sql)[0]]
    host_cpu0, pg_cpu0, me_cpu0 = cpu_seconds(a.host_pid), postgres_cpu_seconds(), time.process_time()

    stop = time.monotonic() + a.seconds
    done, failed, latencies = [0], {}, []
    lock = threading.Lock()

    def worker(i):
        buyer = Client(a.base, buyers[i])
        seller_clients = {k: Client(a.base, k) for k, _ in sellers}
        rnd = random.Random(i)
        while time.monotonic() < stop:
            seller_key, product = sellers[rnd.randrange(len(sellers))]
            seller = seller_clients[seller_key]
            t0 = time.monotonic()
            steps = [
                (buyer, "POST", "/api/v1/orders", {"items": [{"productId": product, "quantity": 1}], "shippingAddress": "1 Bench Street, Tbilisi"}, 201),
            ]
            s, order = buyer.call(*steps[0][1:4])
            if s != 201:
                with lock:
                    failed[f"place {s}"] = failed.get(f"place {s}", 0) + 1
                continue
            oid = order["id"]
            ok = True
            rest = [
                (buyer, "POST", f"/api/v1/orders/{oid}/pay", {"card": {"number": "4242424242424242"}}, 200),
                (buyer, "GET", f"/api/v1/orders/{oid}", None, 200),
                (seller, "POST", f"/api/v1/orders/{oid}/ship", {"carrier": "DHL", "trackingNumber": "JD0146000038"}, 200),
                (buyer, "POST", f"/api/v1/orders/{oid}/confirm-receipt", None, 200),
            ]
            for client, method, path, body, want in (rest[:1] if a.mode == "checkout" else rest):
                s, _ = client.call(method, path, body)
                if s != want:
                    with lock:
                        failed[f"{path.rsplit('/', 1)[-1]} {s}"] = failed.get(f"{path.rsplit('/', 1)[-1]} {s}", 0) + 1
                    ok = False
                    break
            if ok:
                with lock:
                    done[0] += 1
                    latencies.append(time.monotonic() - t0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    host_cpu, pg_cpu, me_cpu = cpu_seconds(a.host_pid) - host_cpu0, postgres_cpu_seconds() - pg_cpu0, time.process_time() - me_cpu0
    wal = int(psql(a.db, f"SELECT pg_current_wal_lsn() - '{wal_before}'::pg_lsn")[0][0])
    psql(a.db, "SELECT pg_stat_force_next_flush()")
    time.sleep(2.0)  # the statistics collector of other backends flushes at most once a second
    stats = [x - y for x, y in zip([int(x) for x in psql(a.db, stats_sql)[0]], stats_before)]

    n = done[0]
    per = 2 if a.mode == "checkout" else 5
    print(f"{a.mode}, clients {a.clients}, {elapsed:.1f} s: {n} done = {n / elapsed:.1f}/s, {per * n / elapsed:.0f} requests/s; failures {failed or 'none'}")
    if latencies:
        q = statistics.quantiles(latencies, n=100)
        print(f"latency of one {a.mode} ({per} requests): p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms")
    print(f"per {a.mode}: {stats[0] / n:.1f} commits, {stats[1] / n:.1f} rows inserted, {stats[2] / n:.1f} updated, "
          f"{stats[3] / n:.1f} deleted, {stats[4] / n:.0f} fetched (pg_stat_database; includes the measuring queries)")
    print(f"CPU seconds per {a.mode}: host {host_cpu / n * 1000:.2f} ms, postgres {pg_cpu / n * 1000:.2f} ms, this client {me_cpu / n * 1000:.2f} ms"
          f" (cores busy: host {host_cpu / elapsed:.2f}, postgres {pg_cpu / elapsed:.2f}, client {me_cpu / elapsed:.2f})")
    print(f"WAL: {wal / n:.0f} bytes per {a.mode} ({wal / elapsed / 1e6:.2f} MB/s)")
    print(f"load average after: {open('/proc/loadavg').read().strip()}")

    # Rows and bytes per order, from the whole database (every order in it completed a lifecycle or is a few setup rows).
    orders = int(psql(a.db, 'SELECT count(*) FROM "Orders"')[0][0])
    print(f"\n{orders} orders in the database ({orders - before_rows['orders']} from this run)")
    print("table\trows\trows/order\ttotal bytes (heap+index+toast)\tbytes/order")
    tables = [r[0] for r in psql(a.db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    psql(a.db, "ANALYZE")
    total_rows = total_bytes = 0
    for t in tables:
        rows = int(psql(a.db, f'SELECT count(*) FROM "{t}"')[0][0])
        size = int(psql(a.db, f"SELECT pg_total_relation_size('public.\"{t}\"')")[0][0])
        total_rows += rows
        total_bytes += size
        print(f"{t}\t{rows}\t{rows / orders:.2f}\t{size}\t{size / orders:.0f}")
    print(f"all\t{total_rows}\t{total_rows / orders:.2f}\t{total_bytes}\t{total_bytes / orders:.0f}")


if __name__ == "__main__":
    main()
