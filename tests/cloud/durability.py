#!/usr/bin/env python3
"""Durability: keel-cloud killed with SIGKILL in the middle of app uploads
and in the middle of log ingest from 50 simulated devices, then restarted.
Afterwards every upload that got a 2xx is stored exactly once, and every log
record whose acknowledgement a device saw (keel-devsim's --acked file) is
stored exactly once. On SQLite by default; `postgres` runs it on a
throwaway PostgreSQL cluster.

    durability.py CLOUD KEEL DEVSIM [sqlite|postgres]
"""
import hashlib
import os
import sqlite3
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, Postgres, fail, http, ok, tempdir  # noqa: E402

CLOUD, KEEL, DEVSIM = sys.argv[1:4]
DB = sys.argv[4] if len(sys.argv) > 4 else "sqlite"
tmp = tempdir("durability-" + DB)
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
pg = Postgres(tmp) if DB == "postgres" else None
inst = Instance(CLOUD, tmp, database=pg.url if pg else None)
NDEV, NREC, NBUNDLES = 50, 400, 60


def keel(*args):
    subprocess.run([KEEL, *args], check=True, capture_output=True)


def rows(q):
    if pg:
        return [tuple(line.split("|")) for line in pg.sql(q).splitlines() if line]
    c = sqlite3.connect(j("instance", "keel.db"))
    out = [tuple(str(x) for x in r) for r in c.execute(q)]
    c.close()
    return out


def restart_loop(state, kills, gap):
    """Kills the running keel-cloud `kills` times, `gap` s apart, restarting
    it each time after a short outage."""
    for _ in range(kills):
        time.sleep(gap)
        inst.kill9(state["proc"])
        time.sleep(0.3)
        state["proc"] = inst.serve()
        state["kills"] += 1


try:
    state = {"proc": inst.serve(), "kills": 0}
    keel("keygen", j("k.pem"))
    st, _, _ = http(inst.http_port, "POST", "/v1/signers",
                    {"name": "k", "public_key": open(j("k.pem.pub")).read()}, inst.token)
    if st != 201:
        fail("signer")
    bundles = []
    for i in range(NBUNDLES):
        payload = os.urandom(200_000)
        hdr = struct.pack("<6I", 0x4C45454B, 64, 2, 0x00200000, len(payload), 1 << 16) + bytes(40)
        open(j("a.img"), "wb").write(hdr + payload)
        keel("bundle", "--kind", "app", "--version", f"1.0.{i}", "--counter", "1", "--key",
             j("k.pem"), j("a.img"), j(f"b{i}.kb"))
        bundles.append(open(j(f"b{i}.kb"), "rb").read())

    # ---- uploads under kill -9 ---------------------------------------------------------
    acked_uploads, interrupted = [], [0]
    at = {15: threading.Event(), 30: threading.Event(), 45: threading.Event()}

    def uploader():
        for i, b in enumerate(bundles):
            if i in at:
                at[i].set()  # the killer strikes while this upload is under way
            while True:
                try:
                    st, js, _ = http(inst.http_port, "POST", f"/v1/apps?name=b{i}", raw=b,
                                     token=inst.token, timeout=5)
                except OSError:
                    interrupted[0] += 1
                    time.sleep(0.05)  # the instance is down: retry this bundle
                    continue
                if st == 201:
                    acked_uploads.append(hashlib.sha256(b).hexdigest())
                if st in (201, 409):
                    break
                time.sleep(0.05)

    t = threading.Thread(target=uploader)
    t.start()
    for i in sorted(at):
        at[i].wait(60)
        inst.kill9(state["proc"])
        time.sleep(0.3)
        state["proc"] = inst.serve()
        state["kills"] += 1
    t.join(120)
    if t.is_alive():
        fail("uploads did not finish")
    stored = rows("SELECT hash, COUNT(*) FROM apps GROUP BY hash")
    counts = {h: int(n) for h, n in stored}
    missing = [h for h in acked_uploads if counts.get(h) != 1]
    if not interrupted[0]:
        fail("no upload was interrupted: the kills missed them")
    if missing or state["kills"] != 3:
        fail(f"{len(missing)} acknowledged uploads not stored exactly once ({state['kills']} kills)")
    blobs = {h for (h,) in rows("SELECT hash FROM blobs")}
    if any(h not in blobs for h in acked_uploads):
        fail("an app without its bundle bytes")
    ok(f"{len(acked_uploads)} uploads acknowledged across 3 kill -9s ({interrupted[0]} "
       "interrupted and retried): each stored exactly once with its bytes")

    # ---- log ingest from 50 devices under kill -9 ----------------------------------------
    subprocess.run([DEVSIM, "certs", "--ca", j("instance", "ca.pem"), "--ca-key",
                    j("instance", "ca.key"), "--out", j("dev"), "--count", str(NDEV)],
                   check=True, capture_output=True)
    sim = subprocess.Popen([DEVSIM, "run", "--port", str(inst.mqtt_port), "--ca",
                            j("instance", "ca.pem"), "--certs", j("dev"), "--devices", str(NDEV),
                            "--records", str(NREC), "--batch", "16", "--window", "4",
                            "--acked", j("acked"), "--timeout", "90"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    state["kills"] = 0
    restart_loop(state, 2, 0.5)
    out, _ = sim.communicate(120)
    print(out, end="")
    if sim.returncode != 0:
        fail("the simulated devices did not get every record acknowledged")
    seen = {}
    for line in open(j("acked")):
        dev, first, count = line.split()
        for s in range(int(first), int(first) + int(count)):
            seen[(dev, s)] = True
    stored = {(d, int(s)): int(n) for d, s, n in
              rows("SELECT device_id, seq, COUNT(*) FROM logs GROUP BY device_id, seq")}
    bad = [k for k in seen if stored.get(k) != 1]
    if bad or len(seen) != NDEV * NREC:
        fail(f"{len(bad)} acknowledged records not stored exactly once; {len(seen)} acked")
    if any(n != 1 for n in stored.values()):
        fail("a record stored twice")
    ok(f"{len(seen)} log records from {NDEV} devices acknowledged across 2 kill -9s: each "
       "stored exactly once")
finally:
    inst.stop()
    if pg:
        pg.stop()
print("durability: all checks hold on " + DB)
