#!/usr/bin/env python3
"""DHCP (with renewals and link loss), DNS and ICMP against a host fixture
over a `-netdev dgram` unix socket (tests/net/l2_peer.py), never a real
resolver: an A record through a CNAME with forged answers (wrong ID, wrong
port) ignored, NXDOMAIN reported, a 6 s lease renewed at T1, ping answered;
then the link goes down and up (QMP set_link) and the lease is confirmed
with INIT-REBOOT; then the fixture ignores unicast renewals and the lease
is rebound by broadcast at T2."""
import argparse
import os
import json
import socket
import subprocess
import threading
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import net_e2e  # noqa: E402


def toggle_link(tmp, log_path, stop):
    """Once the fixture has seen two renewals, link down for 2 s, then up."""
    while not stop.is_set():
        with open(log_path) as f:
            if sum(1 for x in f if x.startswith("dhcp renew")) >= 2:
                break
        time.sleep(0.2)
    if stop.is_set():
        return
    q = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    q.connect(os.path.join(tmp, "qmp.sock"))
    f = q.makefile("rw")
    f.readline()
    for cmd in ({"execute": "qmp_capabilities"},
                {"execute": "set_link", "arguments": {"name": "n0", "up": False}},
                None,
                {"execute": "set_link", "arguments": {"name": "n0", "up": True}}):
        if cmd is None:
            time.sleep(2)
            continue
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        f.readline()
    q.close()


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    mv = os.path.join(a.fw, "tests", "qemu", "apps", "net_mv", "microvisor_nettest.elf")
    app = os.path.join(a.fw, "apps", "hello", "hello.elf")
    with tempfile.TemporaryDirectory() as tmp:
        log = open(os.path.join(tmp, "peer.log"), "w+")
        peer = subprocess.Popen([sys.executable, os.path.join(net_e2e.ROOT, "tests", "net",
                                                              "l2_peer.py"), tmp],
                                stdout=log, stderr=subprocess.STDOUT)
        for _ in range(50):
            if os.path.exists(os.path.join(tmp, "peer.sock")):
                break
            time.sleep(0.1)
        netdev = (f"dgram,id=n0,local.type=unix,local.path={tmp}/qemu.sock,"
                  f"remote.type=unix,remote.path={tmp}/peer.sock")
        stop = threading.Event()
        toggler = threading.Thread(target=toggle_link, args=(tmp, log.name, stop), daemon=True)
        toggler.start()
        try:
            run = harness.boot(a.keel, a.fw, None, timeout=120,
                               flash=os.path.join(tmp, "flash.img"),
                               run_args=["--microvisor", mv, app, "--", "-netdev", netdev,
                                         "-net", "nic,netdev=n0,model=lan9118",
                                         "-qmp", f"unix:{tmp}/qmp.sock,server=on,wait=off"])
        finally:
            stop.set()
            peer.kill()
            peer.wait()
        log.seek(0)
        peer_lines = log.read().splitlines()
    for line in run.matching(r"\[nettest\]|\[net\]") + peer_lines:
        print(line)
    c = harness.Check("net_dns")
    c.that(run.status == 0, f"exit status {run.status} == 0")
    for step in ("dhcp", "dns", "dns_nxdomain", "dhcp_renew", "link_loss", "dhcp_rebind"):
        c.that(bool(run.matching(rf"\[nettest\] PASS {step} ")), f"step {step} passed")
    c.that("icmp echo reply OK" in peer_lines, "the device answered a ping")
    c.that(any(x.startswith("dhcp renew REQUEST") for x in peer_lines), "the fixture saw a renewal")
    c.that(any(x.startswith("dhcp rebind REQUEST -> ACK") for x in peer_lines),
           "the fixture saw a broadcast rebind")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
