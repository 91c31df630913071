#!/usr/bin/env python3
"""keel-cloud benchmarks (make bench). Prints BENCH lines:
  api_requests_per_s (sqlite, postgres): wrk, 2 threads, 32 connections, 5 s,
      the mixed requests of mixed.lua; non-2xx answers fail the run
  log_ingest_msgs_per_s (sqlite, postgres): 50 simulated devices, 4,000
      records each in batches of 64, acknowledged records per second end to
      end (devices, broker and keel-cloud share the machine)
  log_ingest_records_per_cloud_cpu_s (sqlite, postgres): the same records
      divided by the CPU time keel-cloud itself spent on them
  cloud_rss_per_1k_devices: keel-cloud's VmRSS with 1,000 devices connected
      and registered, minus its VmRSS just after start (measured first, on
      a fresh instance), per 1,000

    bench_cloud.py CLOUD DEVSIM
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "cloud"))
from cloudtest import Instance, Postgres, fail, http, tempdir  # noqa: E402

CLOUD, DEVSIM = sys.argv[1:3]


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid):
    """user + system CPU seconds of a process so far"""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def devsim(*args):
    p = subprocess.run([DEVSIM, *args], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"keel-devsim {' '.join(args[:1])}: {p.stdout}{p.stderr}")
    return p.stdout


def run(store):
    tmp = tempdir("bench-" + store)
    j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
    pg = Postgres(tmp) if store == "postgres" else None
    inst = Instance(CLOUD, tmp, database=pg.url if pg else None)
    try:
        proc = inst.serve()
        ca = j("instance", "ca.pem")
        if store == "sqlite":
            before = rss_kib(proc.pid)
            # four simulators of 250: libmosquitto's loop uses select(), which
            # cannot watch descriptors past 1023
            sims = []
            for k in range(4):
                devsim("certs", "--ca", ca, "--ca-key", j("instance", "ca.key"), "--out",
                       j(f"k{k}_"), "--count", "250")
            for k in range(4):
                sims.append(subprocess.Popen([DEVSIM, "run", "--port", str(inst.mqtt_port),
                                              "--ca", ca, "--certs", j(f"k{k}_"), "--devices",
                                              "250", "--records", "1", "--timeout", "120",
                                              "--hold", "3"], stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, text=True))
            import time
            time.sleep(1)
            while any(p.poll() is None for p in sims):
                st, js, _ = http(inst.http_port, "GET", "/v1/devices?limit=1000",
                                 token=inst.token)
                if len(js["items"]) >= 1000:
                    break
                time.sleep(0.2)
            after = rss_kib(proc.pid)  # all 1,000 registered, still connected
            for p in sims:
                out, _ = p.communicate(150)
                if p.returncode != 0:
                    fail(f"keel-devsim: {out}")
            st, js, _ = http(inst.http_port, "GET", "/v1/devices?limit=1000", token=inst.token)
            if len(js["items"]) < 1000:
                fail(f"not all 1,000 devices registered: {st} {len(js['items']) if js else js}")
            print(f"BENCH cloud_rss_per_1k_devices {max(after - before, 0)} KiB "
                  f"(VmRSS {before} -> {after} KiB)", flush=True)
        devsim("certs", "--ca", ca, "--ca-key", j("instance", "ca.key"), "--out", j("d"),
               "--count", "50")
        cpu0 = cpu_s(proc.pid)
        out = devsim("run", "--port", str(inst.mqtt_port), "--ca", ca, "--certs", j("d"),
                     "--devices", "50", "--records", "4000", "--batch", "64", "--window", "16",
                     "--timeout", "120")
        cpu = cpu_s(proc.pid) - cpu0
        rate = float(re.search(r"\(([0-9.]+) records/s\)", out).group(1))
        print(f"BENCH log_ingest_msgs_per_s_{store} {rate:.0f} records/s", flush=True)
        # keel-cloud's own share: records per CPU-second it spent (the figure
        # above also pays for the devices and the broker on the same cores)
        print(f"BENCH log_ingest_records_per_cloud_cpu_s_{store} {200000 / cpu:.0f} records/s",
              flush=True)
        if store == "sqlite":
            print(f"BENCH log_ingest_msgs_per_s {rate:.0f} records/s", flush=True)
        http(inst.http_port, "PUT", "/v1/configs/bench.key", {"value": "v"}, inst.token)
        env = dict(os.environ, KEEL_TOKEN=inst.token)
        p = subprocess.run(["wrk", "-t2", "-c32", "-d5s", "-s", os.path.join(HERE, "mixed.lua"),
                            f"http://127.0.0.1:{inst.http_port}"], capture_output=True,
                           text=True, env=env)
        if p.returncode != 0 or "Non-2xx" in p.stdout:
            fail(f"wrk: {p.stdout}{p.stderr}")
        rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", p.stdout).group(1))
        print(f"BENCH api_requests_per_s_{store} {rps:.0f} requests/s", flush=True)
        if store == "sqlite":
            print(f"BENCH api_requests_per_s {rps:.0f} requests/s", flush=True)
    finally:
        inst.stop()
        if pg:
            pg.stop()


run("sqlite")
run("postgres")
