#!/usr/bin/env python3
"""Durability: keel-cloud killed with SIGKILL, several times, at random
points in the middle of app uploads and in the middle of log ingest from 50
simulated devices, and restarted each time. The kill points come from a
seeded generator; the seed is printed first, and KEEL_DURABILITY_SEED=N
runs the same kill points again (the machine's timing still varies).

What must hold after every restart (for what was acknowledged when that
kill struck) and at the end (for everything):
- uploads: each upload that got a 201 is in the store with the id, name,
  hash and size its 201 reported, GET /v1/apps/ID answers what the 201
  did, and its stored bundle is the exact bytes sent (length and SHA-256).
  No stored app is one that was not sent, or carries another bundle's name.
- logs: each record whose ack a device had seen when the kill struck
  (keel-devsim's --acked file, read once keel-cloud is dead) is stored with
  the device time, level and text the device sent (its --sent file). No
  stored row differs from what its device sent, and no text is stored
  twice: each record's text names its device and sequence number, so a
  record stored again under another key would show (the UNIQUE (device,
  seq) constraint alone would make a count check pass whatever happened).
At the end every record was acked and the table holds exactly those rows.

    durability.py CLOUD KEEL DEVSIM [sqlite|postgres]
"""
import hashlib
import os
import random
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from http.client import HTTPException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, Postgres, fail, http, ok, tempdir  # noqa: E402

CLOUD, KEEL, DEVSIM = sys.argv[1:4]
DB = sys.argv[4] if len(sys.argv) > 4 else "sqlite"
SEED = int(os.environ.get("KEEL_DURABILITY_SEED") or random.SystemRandom().randrange(1 << 32))
print(f"durability: seed {SEED} (KEEL_DURABILITY_SEED={SEED} repeats these kill points)",
      flush=True)
rnd = random.Random(SEED)
tmp = tempdir("durability-" + DB)
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
pg = Postgres(tmp) if DB == "postgres" else None
inst = Instance(CLOUD, tmp, pg=pg)
NDEV, NREC, NBUNDLES = 50, 400, 60
UPLOAD_KILLS, INGEST_KILLS = 4, 4
START_MS = int(time.time() * 1000)
state = {"proc": None, "kills": 0}


def keel(*args):
    subprocess.run([KEEL, *args], check=True, capture_output=True)


def restart():
    """The instance stays down a random while (devices and uploads retry
    into the gap), then comes back on the same database."""
    time.sleep(rnd.uniform(0.05, 0.6))
    state["proc"] = inst.serve()


def blobs():
    """hash -> (size column, SHA-256 of the stored bytes, their length)"""
    if pg:
        return {h: (int(s), d, int(n)) for h, s, d, n in
                inst.rows("SELECT hash, size, encode(sha256(data), 'hex'), length(data) "
                          "FROM blobs")}
    c = sqlite3.connect(j("instance", "keel.db"))
    try:
        return {h: (s, hashlib.sha256(d).hexdigest(), len(d))
                for h, s, d in c.execute("SELECT hash, size, data FROM blobs")}
    finally:
        c.close()


# ---- uploads under kill -9 ---------------------------------------------------------------
def make_bundles():
    keel("keygen", j("k.pem"))
    st, _, _ = http(inst.http_port, "POST", "/v1/signers",
                    {"name": "k", "public_key": open(j("k.pem.pub")).read()}, inst.token)
    if st != 201:
        fail("signer")
    out = []
    for i in range(NBUNDLES):
        payload = os.urandom(200_000)
        hdr = struct.pack("<6I", 0x4C45454B, 64, 2, 0x00200000, len(payload), 1 << 16) + bytes(40)
        open(j("a.img"), "wb").write(hdr + payload)
        keel("bundle", "--kind", "app", "--version", f"1.0.{i}", "--counter", "1", "--key",
             j("k.pem"), j("a.img"), j(f"b{i}.kb"))
        out.append((f"b{i}", open(j(f"b{i}.kb"), "rb").read()))
    return out


def check_uploads(bundles, acked, when):
    """acked: hash -> the JSON of its 201"""
    by_hash = {hashlib.sha256(b).hexdigest(): (name, b) for name, b in bundles}
    apps = {}
    for row in inst.rows("SELECT id, name, hash, size FROM apps"):
        if row[2] in apps:
            fail(f"{when}: bundle {row[2]} stored as two apps")
        apps[row[2]] = row
    for h, js in acked.items():
        r = apps.get(h)
        if not r:
            fail(f"{when}: upload {js['name']} got 201 and is not stored")
        if (int(r[0]), r[1], int(r[3])) != (js["id"], js["name"], js["size"]):
            fail(f"{when}: app {js['name']} stored as {r}, its 201 said {js}")
        st, got, _ = http(inst.http_port, "GET", f"/v1/apps/{js['id']}", token=inst.token)
        if st != 200 or any(got.get(f) != v for f, v in js.items()):
            fail(f"{when}: GET /v1/apps/{js['id']}: {st} {got}; its 201 said {js}")
    stored_blobs = blobs()
    for h, r in apps.items():
        if h not in by_hash or r[1] != by_hash[h][0]:
            fail(f"{when}: a stored app that was never sent as such: {r}")
        size, digest, n = stored_blobs.get(h, (None, None, None))
        if digest != h or n != len(by_hash[h][1]) or size != n:
            fail(f"{when}: app {r[1]}'s stored bundle: {n} bytes (size {size}), sha256 "
                 f"{digest}; sent {len(by_hash[h][1])} bytes, sha256 {h}")
    return len(apps)


def uploads_phase():
    bundles = make_bundles()
    acked, lost = {}, []
    cur = {"attempt": 0, "index": -1, "busy": False, "done": False, "interrupted": 0}
    durations = []
    cv = threading.Condition()
    checking = threading.Event()  # set: the uploader waits while the store is checked

    def uploader():
        for i, (name, b) in enumerate(bundles):
            first = True
            while True:
                while checking.is_set():
                    time.sleep(0.01)
                with cv:
                    cur.update(attempt=cur["attempt"] + 1, index=i, busy=True)
                    cv.notify_all()
                t0 = time.monotonic()
                try:
                    st, js, _ = http(inst.http_port, "POST", f"/v1/apps?name={name}", raw=b,
                                     token=inst.token, timeout=10)
                except (OSError, HTTPException):
                    st = js = None
                with cv:
                    cur["busy"] = False
                    if st == 201:
                        durations.append(time.monotonic() - t0)
                        acked[hashlib.sha256(b).hexdigest()] = js
                    elif st is None:
                        cur["interrupted"] += 1
                if st == 201:
                    break
                if st == 409 and (js or {}).get("error", {}).get("code") == "already_exists":
                    if first:
                        cur["bad"] = f"{name}: 409 on its first attempt"
                    lost.append(name)  # stored by an attempt whose answer the kill cut off
                    break
                first = False
                time.sleep(0.05)  # down, or an answer other than 201/409: try again
        with cv:
            cur["done"] = True
            cv.notify_all()

    t = threading.Thread(target=uploader, daemon=True)
    t.start()
    # each kill waits for an upload at or past a random index to start, then
    # strikes a random fraction of a typical upload's time later (mid-body,
    # mid-check, mid-commit or between commit and answer); when that upload
    # had already finished, it tries again on the next one, sooner
    targets = sorted(rnd.sample(range(8, NBUNDLES - 4), UPLOAD_KILLS))
    for k, target in enumerate(targets, 1):
        shrink = 1.0
        while True:
            with cv:
                if not cv.wait_for(lambda: cur["done"] or (cur["busy"] and
                                                           cur["index"] >= target), 120):
                    fail(f"upload {target} never started")
                if cur["done"]:
                    fail("the uploads finished before every kill")
                attempt = cur["attempt"]
                typical = statistics.median(durations) if durations else 0.02
            time.sleep(rnd.uniform(0, typical) * shrink)
            with cv:  # held across the kill: the answer is not taken in meanwhile
                if cur["busy"] and cur["attempt"] == attempt:
                    inst.kill9(state["proc"])
                    state["kills"] += 1
                    snapshot = dict(acked)
                    index = cur["index"]
                    break
            shrink /= 2
        restart()  # the uploader retries into the gap, then pauses for the check
        checking.set()
        n = check_uploads(bundles, snapshot, f"after upload kill {k}")
        checking.clear()
        ok(f"upload kill {k} struck during upload b{index} with {len(snapshot)} uploads "
           f"acknowledged: all of them intact after the restart ({n} stored)")
    t.join(180)
    if t.is_alive():
        fail("uploads did not finish")
    if cur.get("bad"):
        fail(cur["bad"])
    if len(acked) + len(lost) != NBUNDLES:
        fail(f"{len(acked)} uploads acknowledged and {len(lost)} answered 409 of {NBUNDLES}")
    n = check_uploads(bundles, acked, "at the end")
    if n != NBUNDLES:
        fail(f"{n} apps stored, {NBUNDLES} sent")
    ok(f"{len(acked)} uploads acknowledged across {UPLOAD_KILLS} kill -9s ({cur['interrupted']} "
       f"attempts cut off and retried, {len(lost)} stored though their answer was lost): each "
       "stored once with its exact bytes")


# ---- log ingest from 50 devices under kill -9 --------------------------------------------
class Acked:
    """keel-devsim's --acked file, read as it grows: the (device, seq) set."""

    def __init__(self, path):
        self.path, self.off, self.keys = path, 0, set()

    def poll(self):
        if not os.path.exists(self.path):
            return self.keys
        with open(self.path) as f:
            f.seek(self.off)
            data = f.read()
        end = data.rfind("\n") + 1  # a line being written is read next time
        self.off += end
        for line in data[:end].splitlines():
            dev, first, count = line.split()
            self.keys.update((dev, s) for s in range(int(first), int(first) + int(count)))
        return self.keys


def check_logs(acked, when):
    """Every key in acked stored intact; no stored row other than sent."""
    stored, texts = {}, Counter()
    for d, s, ms, lv, rx, text in inst.rows("SELECT device_id, seq, device_ms, level, "
                                            "received_ms, text FROM logs"):
        k = (d, int(s))
        if k in stored:
            fail(f"{when}: record {k} stored twice")
        stored[k] = (int(ms), int(lv), text)
        texts[text] += 1
        if not START_MS <= int(rx) <= time.time() * 1000 + 1000:
            fail(f"{when}: record {k} received at {rx}, outside this run")
    sent = {}  # read after the rows: whatever can be stored was written here first
    for line in open(j("sent")):
        d, s, ms, lv, text = line.rstrip("\n").split(" ", 4)
        sent[(d, int(s))] = (int(ms), int(lv), text)
    for k, v in stored.items():
        if sent.get(k) != v:
            fail(f"{when}: stored record {k} is {v}; its device sent {sent.get(k)}")
    twice = [t for t, n in texts.items() if n > 1]
    if twice:
        fail(f"{when}: {len(twice)} records stored under two keys, e.g. {twice[0]!r}")
    missing = [k for k in acked if k not in stored]
    if missing:
        fail(f"{when}: {len(missing)} acknowledged records not stored, e.g. {missing[0]}")
    return stored


def ingest_phase():
    inst.device_certs(DEVSIM, j("dev"), NDEV)
    sim = subprocess.Popen([DEVSIM, "run", "--port", str(inst.mqtt_port), "--ca",
                            j("instance", "ca.pem"), "--certs", j("dev"), "--devices", str(NDEV),
                            "--records", str(NREC), "--batch", "16", "--window", "4",
                            "--acked", j("acked"), "--sent", j("sent"), "--timeout", "200"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    total = NDEV * NREC
    acked = Acked(j("acked"))
    # each kill once a random share of the records is acked (and ingest has
    # resumed since the last restart), a random few milliseconds on: inside
    # a transaction, between COMMIT and the acks, or while acks go out
    points = sorted(rnd.uniform(0.05, 0.85) for _ in range(INGEST_KILLS))
    resumed_from = 0
    for k, share in enumerate(points, 1):
        end = time.time() + 150
        while len(acked.poll()) < max(share * total, resumed_from + 1):
            if sim.poll() is not None or time.time() > end:
                fail(f"ingest kill {k}: the devices stopped at {len(acked.keys)} acked")
            time.sleep(0.005)
        time.sleep(rnd.uniform(0, 0.03))
        inst.kill9(state["proc"])
        state["kills"] += 1
        snapshot = set(acked.poll())  # what the devices had seen acked when it died
        if len(snapshot) >= total:
            fail(f"ingest kill {k} came after every record was acked")
        restart()
        # the devices pause for the check (SIGSTOP), so that ingest cannot
        # run to its end meanwhile and leave the next kill nothing to strike
        sim.send_signal(signal.SIGSTOP)
        check_logs(snapshot, f"after ingest kill {k}")
        sim.send_signal(signal.SIGCONT)
        resumed_from = len(acked.poll())
        ok(f"ingest kill {k} at {len(snapshot)} of {total} records acked: each of them stored "
           "intact after the restart, no stored row other than sent")
    out, _ = sim.communicate(timeout=220)
    print(out, end="")
    if sim.returncode != 0:
        fail("the simulated devices did not get every record acknowledged")
    seen = acked.poll()
    if len(seen) != total:
        fail(f"{len(seen)} records acknowledged, {total} sent")
    stored = check_logs(seen, "at the end")
    if len(stored) != total:
        fail(f"{len(stored)} rows stored for {total} records")
    ok(f"{total} log records from {NDEV} devices acknowledged across {INGEST_KILLS} kill -9s: "
       "each stored once, with its device time, level and text as sent")


try:
    state["proc"] = inst.serve()
    uploads_phase()
    ingest_phase()
    if state["kills"] != UPLOAD_KILLS + INGEST_KILLS:
        fail(f"{state['kills']} kills")
finally:
    inst.stop()
    if pg:
        pg.stop()
print(f"durability: all checks hold on {DB} (seed {SEED})")
