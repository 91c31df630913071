#!/usr/bin/env python3
"""Updates over the air, the cloud's side, end to end with real parts: the
broker, keel-cloud, a signed app uploaded through the API, and keel-devsim
devices (real MQTT clients with fleet certificates) speaking the update
protocol (docs/fota.md). Checked:

- a deployment to one device: pushed while the device listens, fetched in
  1 KiB chunks (envelope, then each layer, hashes checked), reported up
  to confirmed; the API shows confirmed with done == total and the
  deployment succeeded; `keel deployments show` prints the device rows;
- a deployment to a tag of 3 devices: all confirmed, succeeded;
- a device fetching what is not deployed to it (another device's unfinished
  deployment, a layer of it, a random hash) gets -1 and no bytes; offset
  past the end -2; a burst past the per-device budget gets some -3;
- malformed fetches are dropped and logged, keel-cloud stays up;
- a deployment created while the device is away reaches it with its hello;
  a download cut short is finished by the next session (the message comes
  again on that hello);
- reverted and failed reports show in the API with their reasons and fail
  the deployment; a newer deployment supersedes an unfinished older one;
- a device tagged while a deployment to the tag is pending joins it.

    ota.py CLOUD KEEL DEVSIM sqlite|postgres
"""
import json
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, Postgres, fail, http, ok, tempdir  # noqa: E402

CLOUD, KEEL, DEVSIM, DB = sys.argv[1:5]
tmp = tempdir("ota-" + DB)
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
pg = Postgres(tmp) if DB == "postgres" else None
inst = Instance(CLOUD, tmp, pg=pg)
os.makedirs(j("home"))
ENV = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
ENV["HOME"] = j("home")


def call(method, path, body=None, raw=None, headers=None):
    return http(inst.http_port, method, path, body=body, token=inst.token, raw=raw,
                headers=headers)


def keel(*args):
    p = subprocess.run([KEEL, *args], capture_output=True, text=True, env=ENV, timeout=60)
    if p.returncode != 0:
        fail(f"keel {' '.join(args)}: {p.stdout}{p.stderr}")
    return p.stdout


def dev_args(i):
    return ["--port", str(inst.mqtt_port), "--ca", j("instance", "ca.pem"), "--cert",
            j(f"dev{i}.pem"), "--key", j(f"dev{i}.key")]


def update(i, *extra, want=0, timeout=45):
    """keel-devsim update as device i, to its end; its output."""
    p = subprocess.run([DEVSIM, "update", *dev_args(i), "--timeout", str(timeout), *extra],
                       capture_output=True, text=True, timeout=timeout + 15)
    if p.returncode != want:
        fail(f"keel-devsim update (device {i}): exit {p.returncode}, want {want}\n"
             f"{p.stdout}{p.stderr}")
    return p.stdout


def update_bg(i, *extra):
    """keel-devsim update as device i, started; returns once its hello is out."""
    p = subprocess.Popen([DEVSIM, "update", *dev_args(i), "--timeout", "45", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = p.stdout.readline()
    if not line.startswith("hello "):
        fail(f"keel-devsim update (device {i}) did not say hello: {line}{p.stdout.read()}")
    return p


def finish(p, want=0):
    out, _ = p.communicate(timeout=60)
    if p.returncode != want:
        fail(f"keel-devsim update: exit {p.returncode}, want {want}\n{out}")
    return out


def fetch(i, obj, offset=0, length=1024, count=1):
    p = subprocess.run([DEVSIM, "fetch", *dev_args(i), "--object", obj, "--offset", str(offset),
                        "--length", str(length), "--count", str(count)],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail(f"keel-devsim fetch: {p.stdout}{p.stderr}")
    return [tuple(int(x) for x in m) for m in
            re.findall(r"^chunk (\d+) (-?\d+) (\d+) (\d+) (\d+)$", p.stdout, re.M)]


def deploy(target):
    st, js, _ = call("POST", "/v1/deployments", {"app_id": app["id"], **target})
    if st != 201:
        fail(f"deploy {target}: {st} {js}")
    return js


def show(dep_id):
    st, js, _ = call("GET", f"/v1/deployments/{dep_id}")
    if st != 200:
        fail(f"show deployment {dep_id}: {st} {js}")
    return js


def settled(dep_id, dev, state):
    """The deployment once dev's row is in state (the device's last report
    is PUBACKed by the broker before keel-cloud has stored it), or as it is
    after 10 s."""
    for _ in range(100):
        js = show(dep_id)
        if any(d["device_id"] == dev and d["state"] == state for d in js["devices"]):
            return js
        time.sleep(0.1)
    return js


def row(js, dev):
    r = [d for d in js["devices"] if d["device_id"] == dev]
    if len(r) != 1:
        fail(f"deployment {js['id']}: no row for {dev}: {js}")
    return r[0]


def cloud_log():
    return open(j("instance", "cloud-1.log")).read()


try:
    proc = inst.serve()
    ids = inst.device_certs(DEVSIM, j("dev"), 7)
    A, B, T1, T2, T3, X, S = ids
    p = subprocess.run([DEVSIM, "run", "--port", str(inst.mqtt_port), "--ca",
                        j("instance", "ca.pem"), "--certs", j("dev"), "--devices", "7",
                        "--records", "1", "--timeout", "60"], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"keel-devsim run: {p.stdout}{p.stderr}")
    for d in (T1, T2, T3):
        st, js, _ = call("PATCH", f"/v1/devices/{d}", {"tags": ["fleet"]})
        if st != 200:
            fail(f"tag {d}: {st} {js}")
    subprocess.run([KEEL, "keygen", j("k.pem")], check=True, capture_output=True)
    st, js, _ = call("POST", "/v1/signers", {"name": "release",
                                             "public_key": open(j("k.pem.pub")).read()})
    if st != 201:
        fail(f"signer: {st} {js}")
    payload = bytes((i * 7 + 3) & 0xFF for i in range(5000))
    open(j("a.img"), "wb").write(struct.pack("<6I", 0x4C45454B, 64, 2, 0x00200000, len(payload),
                                             1 << 16) + bytes(40) + payload)
    subprocess.run([KEEL, "bundle", "--kind", "app", "--version", "1.2.3", "--counter", "1",
                    "--key", j("k.pem"), j("a.img"), j("a.kb")], check=True, capture_output=True)
    st, app, _ = call("POST", "/v1/apps?name=blinky", raw=open(j("a.kb"), "rb").read(),
                      headers={"Content-Type": "application/octet-stream"})
    if st != 201:
        fail(f"upload: {st} {app}")
    ok(f"7 devices registered, 3 tagged fleet; signed app {app['size']} bytes uploaded")

    # ---- one device, listening when the deployment is made ---------------------------
    t0 = time.time()
    p = update_bg(0)
    dep = deploy({"device_id": A})
    if dep["state"] != "pending" or [d["device_id"] for d in dep["devices"]] != [A]:
        fail(f"new deployment: {dep}")
    out = finish(p)
    secs = time.time() - t0
    if "reported confirmed" not in out or "SHA-256" not in out:
        fail(f"device A's update: {out}")
    m = re.search(r"layer 0: (\d+) bytes, SHA-256 ([0-9a-f]{64}) matches", out)
    layer_size, layer = int(m.group(1)), m.group(2)
    js = settled(dep["id"], A, "confirmed")
    r = row(js, A)
    if js["state"] != "succeeded" or r["state"] != "confirmed" or r["done"] != r["total"] or \
            r["total"] <= 5000 or r["reason"] != 0:
        fail(f"after the update: {js}")
    ok(f"deployment to a device: pushed, fetched in <= 1 KiB chunks, hashes checked, "
       f"confirmed, done == total == {r['total']} ({secs:.1f} s); deployment succeeded")

    subprocess.run([KEEL, "login", f"http://127.0.0.1:{inst.http_port}", "--token", inst.token],
                   check=True, capture_output=True, env=ENV)
    table = keel("deployments", "show", str(dep["id"]))
    if A not in table or "confirmed" not in table or "succeeded" not in table:
        fail(f"keel deployments show: {table}")
    js = json.loads(keel("deployments", "show", str(dep["id"]), "-o", "json"))
    if js["devices"][0]["state"] != "confirmed" or js["devices"][0]["device_id"] != A:
        fail(f"keel deployments show -o json: {js}")
    ok("keel deployments show: the device rows, as a table and as JSON")

    # ---- a tag of three --------------------------------------------------------------
    ps = [update_bg(i) for i in (2, 3, 4)]
    dep3 = deploy({"tag": "fleet"})
    if sorted(d["device_id"] for d in dep3["devices"]) != sorted([T1, T2, T3]):
        fail(f"tag deployment's devices: {dep3}")
    for p in ps:
        finish(p)
    for d in (T1, T2, T3):
        js = settled(dep3["id"], d, "confirmed")
    if js["state"] != "succeeded" or any(d["state"] != "confirmed" or d["done"] != d["total"]
                                         for d in js["devices"]):
        fail(f"tag deployment: {js}")
    ok("deployment to a tag of 3 devices: all confirmed, succeeded")

    # ---- what a device may fetch -------------------------------------------------------
    depb = deploy({"device_id": B})  # B is away: its row stays unfinished
    if fetch(1, app["hash"], 0, 1024)[0][1:3] != (0, 0):
        fail("B cannot fetch its own deployment's envelope")
    for what, obj in (("another device's deployment", app["hash"]),
                      ("a layer of another device's deployment", layer),
                      ("a random hash", os.urandom(32).hex())):
        got = fetch(5, obj)
        if got != [(1, -1, 0, 0, 0)]:
            fail(f"X fetching {what}: {got}, want -1 and no bytes")
    got = fetch(0, app["hash"])
    if got != [(1, -1, 0, 0, 0)]:
        fail(f"A fetching from its finished deployment: {got}")
    ok("a device fetching another device's deployment, a layer of it, a random hash, or its own "
       "finished deployment: -1, no bytes")
    got = fetch(1, layer, layer_size)
    if got != [(1, -2, layer_size, 0, 0)]:
        fail(f"offset past the end: {got}")
    got = fetch(1, layer, layer_size - 10, 1024)
    if got != [(1, 0, layer_size - 10, layer_size, 10)]:
        fail(f"a fetch across the end: {got}")
    ok("offset past the end: -2; a fetch across the end gets the bytes up to it")
    got = fetch(1, layer, 0, 1024, count=40)
    busy = sum(1 for c in got if c[1] == -3)
    served = sum(1 for c in got if c[1] == 0 and c[4] == 1024)
    if len(got) != 40 or busy == 0 or served < 8:
        fail(f"a burst of 40 fetches: {len(got)} answers, {served} served, {busy} busy")
    ok(f"a burst of 40 fetches: {served} served, {busy} answered busy (-3)")

    # ---- malformed fetches ---------------------------------------------------------------
    def fetch_cbor(req, obj, off, length):
        def u(n):
            return bytes([n]) if n < 24 else (b"\x19" + struct.pack(">H", n) if n < 65536
                                              else b"\x1a" + struct.pack(">I", n))
        return (b"\xa6\x00\x01\x01\x0a\x02" + u(req) + b"\x03\x58\x20" + obj + b"\x04" + u(off)
                + b"\x05" + u(length))
    lb = bytes.fromhex(layer)
    bad = {"garbage": b"\xff\x00not cbor", "truncated": fetch_cbor(1, lb, 0, 10)[:-3],
           "zero": fetch_cbor(2, lb, 0, 0), "toolong": fetch_cbor(3, lb, 0, 5000),
           "shorthash": fetch_cbor(4, lb, 0, 10).replace(b"\x58\x20" + lb, b"\x58\x1f" + lb[:31]),
           "empty": b""}
    pairs = []
    for name, data in bad.items():
        open(j(name), "wb").write(data)
        pairs.append(f"fetch={j(name)}")
    p = subprocess.run([DEVSIM, "raw", *dev_args(1), "--wait", "500", *pairs],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail(f"keel-devsim raw: {p.stdout}{p.stderr}")
    time.sleep(0.5)
    if proc.poll() is not None:
        fail(f"keel-cloud died on malformed fetches (exit {proc.returncode})")
    st, _, _ = call("GET", "/v1/time")
    n = cloud_log().count(f"device {B}: malformed fetch")
    if st != 200 or n != len(bad):
        fail(f"after malformed fetches: /v1/time {st}, {n} logged of {len(bad)}")
    if fetch(1, layer, 0, 16)[0][1] != 0:
        fail("B cannot fetch after its malformed fetches")
    ok(f"{len(bad)} malformed fetches dropped and logged; keel-cloud up, B still served")

    # ---- pushed on hello: B was away when its deployment was made -------------------------
    before = cloud_log().count(f"device {B}: deployment {depb['id']} sent again (hello)")
    out = update(1, "--stop-after", "2048", want=3)
    r = row(settled(depb["id"], B, "downloading"), B)
    if r["state"] != "downloading" or not 0 < r["done"] < r["total"]:
        fail(f"B after a cut download: {r}\n{out}")
    out = update(1)
    js = settled(depb["id"], B, "confirmed")
    r = row(js, B)
    after = cloud_log().count(f"device {B}: deployment {depb['id']} sent again (hello)")
    if r["state"] != "confirmed" or r["done"] != r["total"] or js["state"] != "succeeded" or \
            after - before != 2:
        fail(f"B's second session: {js}, re-sent {after - before} times\n{out}")
    ok("a deployment made while the device was away came with its hello; a cut download "
       "(state downloading, partial) was finished by the next session, message re-sent on "
       "each hello")

    # ---- failures, with reasons ------------------------------------------------------------
    p = update_bg(0, "--fail-at", "activated", "--reason", "-7")
    depr = deploy({"device_id": A})
    finish(p)
    js = settled(depr["id"], A, "reverted")
    r = row(js, A)
    if r["state"] != "reverted" or r["reason"] != -7 or js["state"] != "failed":
        fail(f"a reverted update: {js}")
    p = update_bg(2, "--fail-at", "downloaded", "--reason", "-5")
    depf = deploy({"device_id": T1})
    finish(p)
    js = settled(depf["id"], T1, "failed")
    r = row(js, T1)
    if r["state"] != "failed" or r["reason"] != -5 or js["state"] != "failed":
        fail(f"a failed update: {js}")

    # a device refusing the deployment message (a negative ack) fails its row with that status
    depn = deploy({"device_id": T2})
    ack = b"\xa4\x00\x01\x01\x04\x02" + (bytes([depn["id"]]) if depn["id"] < 24 else bytes([0x18, depn["id"]])) + b"\x03\x28"  # status -9
    open(j("nack"), "wb").write(ack)
    p = subprocess.run([DEVSIM, "raw", *dev_args(3), "--wait", "300", f"ack={j('nack')}"],
                       capture_output=True, text=True, timeout=60)
    js = settled(depn["id"], T2, "failed")
    r = row(js, T2)
    if p.returncode != 0 or r["state"] != "failed" or r["reason"] != -9 or js["state"] != "failed":
        fail(f"a refused deployment message: {js} {p.stdout}{p.stderr}")
    ok("reverted (reason -7) and failed (reason -5) reports, and a deployment message refused "
       "(ack -9), shown per device with their reasons; the deployments failed")

    # ---- a newer deployment supersedes an unfinished one -----------------------------------
    old = deploy({"device_id": S})
    new = deploy({"device_id": S})
    js = show(old["id"])
    if row(js, S)["state"] != "superseded" or js["state"] != "superseded":
        fail(f"the older deployment: {js}")
    out = update(6)
    if f"deployment {new['id']} " not in out or f"deployment {old['id']} " in out:
        fail(f"S got another deployment than the newest: {out}")
    if settled(new["id"], S, "confirmed")["state"] != "succeeded":
        fail(f"the newer deployment: {show(new['id'])}")
    ok("a newer deployment supersedes the unfinished older one; the device gets only the newer")

    # ---- a device that joins a tag during a deployment to it is included ---------------
    depl = deploy({"tag": "late"})
    if depl["devices"] != [] or depl["state"] != "pending":
        fail(f"a deployment to a tag nobody has: {depl}")
    p = update_bg(6)
    st, js, _ = call("PATCH", f"/v1/devices/{S}", {"tags": ["late"]})
    if st != 200:
        fail(f"tagging S: {st} {js}")
    out = finish(p)
    if f"deployment {depl['id']} " not in out:
        fail(f"S did not get the tag's deployment: {out}")
    js = settled(depl["id"], S, "confirmed")
    if [d["device_id"] for d in js["devices"]] != [S] or js["state"] != "succeeded":
        fail(f"the tag deployment after S joined: {js}")
    st, js, _ = call("PATCH", f"/v1/devices/{S}", {"tags": ["late", "x"]})
    if st != 200 or len(show(depl["id"])["devices"]) != 1:
        fail("tagging again added a second row")
    ok("a device tagged while a deployment to the tag was pending joined it (pushed at once) "
       "and confirmed; tagging again changes nothing")

    # ---- a figure: one device's download of a 128 KiB app through keel-cloud -------------
    big = bytes((i * 13 + 5) & 0xFF for i in range(128 * 1024))
    open(j("big.img"), "wb").write(struct.pack("<6I", 0x4C45454B, 64, 2, 0x00200000, len(big),
                                               1 << 16) + bytes(40) + big)
    subprocess.run([KEEL, "bundle", "--kind", "app", "--version", "1.3.0", "--counter", "1",
                    "--key", j("k.pem"), j("big.img"), j("big.kb")], check=True,
                   capture_output=True)
    st, app, _ = call("POST", "/v1/apps?name=big", raw=open(j("big.kb"), "rb").read(),
                      headers={"Content-Type": "application/octet-stream"})
    if st != 201:
        fail(f"upload of the 128 KiB app: {st} {app}")
    p = update_bg(5, "--window", "8")
    t0 = time.time()
    depx = deploy({"device_id": X})
    out = finish(p)
    secs = time.time() - t0
    r = row(settled(depx["id"], X, "confirmed"), X)
    if r["state"] != "confirmed" or r["done"] != r["total"] or r["total"] < len(big):
        fail(f"the 128 KiB update: {r}\n{out}")
    dl = re.search(r"downloaded in (\d+) ms, (\d+) busy answers", out)
    ms, busy = int(dl.group(1)), int(dl.group(2))
    print(f"FIGURE ota_serve_kib_s {r['total'] / 1024 / (ms / 1000):.0f} (one device, 8 fetches "
          f"in flight: {r['total']} bytes downloaded in {ms} ms, {busy} busy answers, under the "
          f"per-device budget of 400 fetches/s; {secs:.2f} s from the deployment to confirmed)",
          flush=True)
    ok("a 128 KiB app downloaded and confirmed")

    if proc.poll() is not None:
        fail("keel-cloud died")
    inst.stop()
    ok("keel-cloud stopped cleanly")
finally:
    for p in inst.procs:
        p.kill()
    if inst.broker:
        inst.stop_broker()
    if pg:
        pg.stop()
