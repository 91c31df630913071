#!/usr/bin/env python3
"""Two keel-cloud instances on one PostgreSQL and one broker: the broker
splits the device traffic between them (MQTT 5 shared subscription
$share/keel/...), each log record is stored once, both serve the API, and
killing one (SIGKILL) loses nothing any device saw acknowledged.

Revocation across instances: instance c runs away from the broker's files
(broker_acl = 0); a device revoked through it is denied by the broker
once the instance that keeps DIR/acl has applied it, and c answers 200
only then. With no such instance alive c answers 503 broker_not_updated,
the broker still lets the device in, and the revocation is applied as soon
as a keeping instance starts again.

    two_instances.py CLOUD DEVSIM
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, Postgres, fail, free_port, http, ok, tempdir  # noqa: E402

WAIT = {"KEEL_CLOUD_BROKER_WAIT_MS": "4000"}

CLOUD, DEVSIM = sys.argv[1:3]
tmp = tempdir("two")
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
pg = Postgres(tmp)
inst = Instance(CLOUD, tmp, database=pg.url)
NDEV, NREC = 20, 500

try:
    a = inst.serve(instance="a", extra_env=WAIT)
    port_b = free_port()
    b = inst.serve(http_port=port_b, instance="b")
    for port in (inst.http_port, port_b):
        st, js, _ = http(port, "GET", "/v1/account", token=inst.token)
        if st != 200:
            fail(f"instance on {port}: {st}")
    ok("both instances serve the API from one database (the admin token works on each)")
    subprocess.run([DEVSIM, "certs", "--ca", j("instance", "ca.pem"), "--ca-key",
                    j("instance", "ca.key"), "--out", j("dev"), "--count", str(NDEV)],
                   check=True, capture_output=True)
    sim = subprocess.Popen([DEVSIM, "run", "--port", str(inst.mqtt_port), "--ca",
                            j("instance", "ca.pem"), "--certs", j("dev"), "--devices", str(NDEV),
                            "--records", str(NREC), "--batch", "10", "--window", "2",
                            "--acked", j("acked"), "--sent", j("sent"), "--timeout", "90"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)
    inst.kill9(b)
    ok("instance b killed with SIGKILL during ingest")
    out, _ = sim.communicate(120)
    print(out, end="")
    if sim.returncode != 0:
        fail("not every record was acknowledged after instance b died")
    seen = set()
    for line in open(j("acked")):
        dev, first, count = line.split()
        seen.update((dev, s) for s in range(int(first), int(first) + int(count)))
    # The (device, seq) key is UNIQUE, so a count per key cannot fail: compare
    # what is stored with what each device sent, and look for a record
    # stored under a second key (each text names its device and seq).
    stored, texts = {}, {}
    for line in pg.sql("SELECT device_id, seq, device_ms, level, text FROM logs").splitlines():
        d, sq, ms, lv, text = line.split("|", 4)
        stored[(d, int(sq))] = (int(ms), int(lv), text)
        texts[text] = texts.get(text, 0) + 1
    sent = {}
    for line in open(j("sent")):
        d, sq, ms, lv, text = line.rstrip("\n").split(" ", 4)
        sent[(d, int(sq))] = (int(ms), int(lv), text)
    wrong = [k for k, v in stored.items() if sent.get(k) != v]
    if wrong:
        fail(f"stored record {wrong[0]} is {stored[wrong[0]]}; its device sent "
             f"{sent.get(wrong[0])}")
    if any(n > 1 for n in texts.values()):
        fail("a record is stored under two keys")
    if len(seen) != NDEV * NREC or any(k not in stored for k in seen):
        fail(f"{len(seen)} acked; not each stored")
    ok(f"{len(seen)} acknowledged records, each stored exactly once with the time, level "
       "and text its device sent")
    # both instances ingested: each logged its own share of the device hellos
    logs = {n: open(j("instance", f"cloud-{n}.log")).read() for n in ("a", "b")}
    shares = {n: logs[n].count(" connected (app") for n in logs}
    if shares["a"] == 0 or shares["b"] == 0:
        fail(f"the broker did not split the traffic: {shares}")
    ok(f"the broker split the device hellos between the instances: {shares}")

    # ---- revocation through an instance away from the broker's files ----------------------
    ids = [line.split()[0] for line in open(j("acked"))]
    ids = sorted(set(ids))[:2]
    prefix = {}
    for i in range(NDEV):  # which certificate is which device
        p = subprocess.run(["openssl", "x509", "-noout", "-subject", "-in", j(f"dev{i}.pem")],
                           capture_output=True, text=True, check=True)
        prefix[p.stdout.strip().split("=")[-1].strip()] = j(f"dev{i}")
    port_c = free_port()
    inst.serve(http_port=port_c, instance="c", extra_env=dict(WAIT, KEEL_CLOUD_BROKER_ACL="0"))

    def probe(dev, want):
        p = subprocess.run([DEVSIM, "probe", "--port", str(inst.mqtt_port), "--ca",
                            j("instance", "ca.pem"), "--refused", prefix[dev]],
                           capture_output=True, text=True)
        if p.returncode != want:
            fail(f"probe {dev}: exit {p.returncode}, want {want}: {p.stdout}{p.stderr}")

    def device(dev):
        st, js, _ = http(port_c, "GET", f"/v1/devices/{dev}", token=inst.token)
        if st != 200:
            fail(f"GET {dev}: {st} {js}")
        return js
    st, js, _ = http(port_c, "POST", f"/v1/devices/{ids[0]}/revoke", token=inst.token)
    if st != 200 or not js["broker_denied"]:
        fail(f"revoke through c: {st} {js}")
    probe(ids[0], 0)
    if "keeps" in open(j("instance", "cloud-c.log")).read():
        fail("instance c (broker_acl = 0) took the broker's files")
    ok("a device revoked through instance c (broker_acl = 0) is denied by the broker, "
       "applied by instance a; c answered 200 only then")
    inst.kill9(a)
    st, js, _ = http(port_c, "POST", f"/v1/devices/{ids[1]}/revoke", token=inst.token)
    code = (js or {}).get("error", {}).get("code")
    if st != 503 or code != "broker_not_updated":
        fail(f"revoke with no instance keeping the broker's files: {st} {js}")
    js = device(ids[1])
    if not js["revoked"] or js["broker_denied"]:
        fail(f"after the 503: {js}")
    probe(ids[1], 1)
    ok("with instance a killed, a revoke through c answers 503 broker_not_updated: the "
       "device is revoked in the database and, truly, not yet at the broker")
    inst.serve(instance="a", extra_env=WAIT)
    end = time.time() + 15
    while not device(ids[1])["broker_denied"] and time.time() < end:
        time.sleep(0.1)
    if not device(ids[1])["broker_denied"]:
        fail("the restarted instance a did not apply the pending revocation")
    probe(ids[1], 0)
    ok("instance a, started again, applied the pending revocation: the broker denies it")
finally:
    inst.stop()
    pg.stop()
print("two instances: all checks hold")
