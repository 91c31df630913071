#!/usr/bin/env python3
"""The application's network calls over the real cloud link (issue 13),
with the mosquitto and keel-cloud of a `keel-cloud init` instance and the
emulated device of `keel run --cloud DIR` running tests/qemu/apps/netcalls:

  1. the application requests the network at start (a center on IRQ 80, a
     tag) before the link is up; once the device has joined the cloud it
     reads CONNECTED, after at least one NETWORKSTATUSCHANGED record with
     its tag, and mvGetNetworkReasons says USINGNETWORK with one request;
  2. the device's network cut (QMP set_link on keel run's slirp netdev,
     as cloud_resilience.py does): the application is notified and reads
     a status other than CONNECTED; the network back, it is notified again
     and reads CONNECTED;
  3. it then releases its request (handle zeroed, count 0, the old handle
     dead): the microvisor's connection stays up (no new connection, no
     failure) and the application's logs still reach the cloud.
"""
import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cloud_link as cl  # noqa: E402  (puts tests/cloud on the path)
import cloud_resilience as cr  # noqa: E402
import cloudtest as ct  # noqa: E402
import harness  # noqa: E402

STATUS = r"^\[app\] net status (\w+) notes (\d+) reasons ([0-9a-f]+) count (\d+)$"
USINGNETWORK, COLDBOOTCONNECTION = 0x1, 0x40


def statuses(dev, start=0):
    rx = re.compile(STATUS)
    out = []
    for i in range(start, len(dev.lines)):
        m = rx.search(dev.lines[i])
        if m:
            out.append((i, m.group(1), int(m.group(2)), int(m.group(3), 16), int(m.group(4))))
    return out


def run(c, a, inst, tmp):
    app = os.path.join(a.apps, "netcalls", "netcalls.elf")
    qmp_path = os.path.join(tmp, "qmp.sock")
    dev = cl.Device(a, inst, os.path.join(tmp, "flash.img"), timeout=300, app=app,
                    run_args=["--qmp", qmp_path])
    qmp = None
    try:
        # 1. requested before the link is up, CONNECTED after it is
        r = dev.wait_for(r"^\[app\] net requested -> ", 30)
        c.that(r is not None and "-> OKAY," in dev.lines[r] and "handle 00000000" not in dev.lines[r],
               "mvRequestNetwork at start: " + (dev.lines[r] if r is not None else dev.tail()))
        dev_id = cr.connected_id(c, dev)
        if not dev_id:
            return
        linked = dev.wait_for(cl.CONNECTED, 0)
        k = dev.wait_for(r"^\[app\] net status CONNECTED ", 20)
        c.that(k is not None, "the application read CONNECTED after the device joined the cloud"
               + ("" if k is not None else ":\n" + dev.tail()))
        if k is None:
            return
        first = [s for s in statuses(dev) if s[1] == "CONNECTED"][0]
        c.that(r < linked < k, "order: request, then the link connected, then the "
               "application's CONNECTED")
        c.that(first[2] >= 1, f"a NETWORKSTATUSCHANGED record with the request's tag had "
               f"arrived when it read CONNECTED ({first[2]})")
        c.that(first[3] & USINGNETWORK and first[3] & COLDBOOTCONNECTION and first[4] == 1,
               f"mvGetNetworkReasons: USINGNETWORK and COLDBOOTCONNECTION, 1 request "
               f"(reasons {first[3]:#x}, count {first[4]})")
        c.that(dev.wait_for(r"^\[app\] net bad record", 0) is None,
               "every record the center got was NETWORKSTATUSCHANGED with the request's tag")

        # 2. the link cut and back
        qmp = cr.Qmp(qmp_path)
        mark = len(dev.lines)
        notes_before = first[2]
        rr = qmp.cmd("set_link", name="cloud", up=False)
        c.that("return" in rr, f"QMP set_link cloud off: {rr}")
        j = dev.wait_for(r"^\[app\] net status (CONNECTING|DISCONNECTEDWITHLINKUP) ", 30, mark)
        c.that(j is not None, "during the cut the application read a status other than "
               "CONNECTED" + ("" if j is not None else ":\n" + dev.tail()))
        time.sleep(3)  # the cut lasts a little beyond what the application saw
        rr = qmp.cmd("set_link", name="cloud", up=True)
        c.that("return" in rr, f"QMP set_link cloud on: {rr}")
        if j is None:
            return
        down = [s for s in statuses(dev, mark)][0]
        c.that(down[2] > notes_before, f"notified of the change away from CONNECTED "
               f"({notes_before} -> {down[2]} records)")
        k2 = dev.wait_for(r"^\[app\] net status CONNECTED ", 120, j)
        c.that(k2 is not None, "the network back, the application read CONNECTED again"
               + ("" if k2 is not None else ":\n" + dev.tail()))
        if k2 is None:
            return
        back = [s for s in statuses(dev, j) if s[1] == "CONNECTED"][0]
        c.that(back[2] > down[2], f"notified of the change back ({down[2]} -> {back[2]} records)")
        seen = [s[1] for s in statuses(dev)]
        print(f"info: statuses the application read: {seen}", flush=True)
        fails = [x for x in dev.lines[mark:k2] if cr.LINK_FAIL.search(x)]
        print("info: during the cut the link " + (f"failed ({fails[0]}) and reconnected"
              if fails else "kept its session (the carrier went, TCP rode it out)"), flush=True)

        # 3. released: the microvisor stays connected
        rel = dev.wait_for(r"^\[app\] net released -> ", 10, k2)
        c.that(rel is not None and re.search(r"-> OKAY, handle 00000000, count 0, old handle "
                                             r"INVALIDHANDLE$", dev.lines[rel]),
               "mvReleaseNetwork: OKAY, handle zeroed, no request left, the old handle dead: "
               + (dev.lines[rel] if rel is not None else dev.tail()))
        if rel is None:
            return
        conns = cr.connections(inst, dev_id)
        beat = dev.wait_for(r"^\[app\] netbeat \d+ status released ", 10, rel)
        n = int(re.search(r"netbeat (\d+)", dev.lines[beat]).group(1)) if beat else 0
        after = dev.wait_for(rf"^\[app\] netbeat {n + 5} ", 15, rel) if beat else None
        _, ok = cr.wait_stored(inst, dev_id, "netbeat", n + 5, 30)
        c.that(after is not None and ok, f"after the release the application's logs still "
               f"reach the cloud (netbeat {n + 5} stored)")
        c.that(dev.wait_for(cr.LINK_FAIL.pattern, 0, rel) is None
               and dev.wait_for(cl.CONNECTED, 0, rel) is None
               and cr.connections(inst, dev_id) == conns,
               f"the release did not touch the microvisor's connection "
               f"({cr.connections(inst, dev_id)} connection(s) seen by mosquitto)")
    finally:
        if qmp:
            qmp.close()
        dev.stop()


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--cloud", required=True, help="the keel-cloud binary")
    a = p.parse_args()
    c = harness.Check("cloud_netcalls")
    t0 = time.monotonic()
    tmp = ct.tempdir("cloud-netcalls")
    inst = ct.Instance(a.cloud, tmp)
    inst.serve()
    try:
        run(c, a, inst, tmp)
    finally:
        inst.stop()
    print(f"info: {time.monotonic() - t0:.0f} s", flush=True)
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
