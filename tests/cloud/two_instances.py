#!/usr/bin/env python3
"""Two keel-cloud instances on one PostgreSQL and one broker: the broker
splits the device traffic between them (MQTT 5 shared subscription
$share/keel/...), each log record is stored once, both serve the API, and
killing one (SIGKILL) loses nothing any device saw acknowledged.

    two_instances.py CLOUD DEVSIM
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, Postgres, fail, free_port, http, ok, tempdir  # noqa: E402

CLOUD, DEVSIM = sys.argv[1:3]
tmp = tempdir("two")
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
pg = Postgres(tmp)
inst = Instance(CLOUD, tmp, database=pg.url)
NDEV, NREC = 20, 500

try:
    a = inst.serve(instance="a")
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
                            "--acked", j("acked"), "--timeout", "90"],
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
    stored = {}
    for line in pg.sql("SELECT device_id, seq, COUNT(*) FROM logs GROUP BY device_id, seq")\
            .splitlines():
        d, s, n = line.split("|")
        stored[(d, int(s))] = int(n)
    if len(seen) != NDEV * NREC or any(stored.get(k) != 1 for k in seen) or \
            any(n != 1 for n in stored.values()):
        fail(f"{len(seen)} acked; not each stored exactly once")
    ok(f"{len(seen)} acknowledged records, each stored exactly once")
    # both instances ingested: each logged its own share of the device hellos
    logs = {n: open(j("instance", f"cloud-{n}.log")).read() for n in ("a", "b")}
    shares = {n: logs[n].count(" connected (app") for n in logs}
    if shares["a"] == 0 or shares["b"] == 0:
        fail(f"the broker did not split the traffic: {shares}")
    ok(f"the broker split the device hellos between the instances: {shares}")
finally:
    inst.stop()
    pg.stop()
print("two instances: all checks hold")
