#!/usr/bin/env python3
"""The microvisor's TLS 1.3 client over its own TCP/IP, through slirp
(restrict=on, guestfwd to a relay), against openssl s_server on loopback:
microvisor_tlstest (tests/qemu/apps/tls_mv/tlstest.c) makes a full mutual
handshake with the device identity `keel run` provisions (page 3) and the
test cloud CA, sends 256 KiB that s_server -rev returns reversed (every
byte checked on the device), does a KeyUpdate and exchanges a line under
the new keys, closes, and resumes
from the ticket on a second connection; then all of it again with the
link impaired (10% of frames dropped, 5% duplicated, 5% reordered each
way). s_server checks the device's certificate against keel run's
development fleet CA."""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.path.join(HERE, "apps", "tls_mv")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    mv = os.path.join(a.fw, "tests", "qemu", "apps", "tls_mv", "microvisor_tlstest.elf")
    app = os.path.join(a.fw, "apps", "hello", "hello.elf")
    dev_ca = os.path.join(a.fw, "keel-dev-ca.pem")
    c = harness.Check("tls")
    with tempfile.TemporaryDirectory() as tmp:
        flash = os.path.join(tmp, "flash.img")
        if not os.path.exists(dev_ca):
            # keel run makes the development CA on first use.
            harness.boot(a.keel, a.fw, app, timeout=20, until=r"\[app\] hello", flash=flash)
        port = free_port()
        srv = subprocess.Popen(
            ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-rev", "-tls1_3",
             "-cert", os.path.join(PKI, "server.pem"), "-key", os.path.join(PKI, "server.key"),
             "-Verify", "1", "-verify_return_error", "-CAfile", dev_ca],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = []
        threading.Thread(target=lambda: out.extend(srv.stdout), daemon=True).start()
        for _ in range(100):
            if any("ACCEPT" in l for l in out):
                break
            time.sleep(0.05)
        relay = os.path.join(HERE, "tls_relay.py")
        nic = ("user,model=lan9118,restrict=on,"
               f"guestfwd=tcp:10.0.2.100:4433-cmd:{sys.executable} {relay} {port}")
        try:
            run = harness.boot(a.keel, a.fw, None, timeout=240, flash=flash,
                               run_args=["--microvisor", mv, app, "--", "-nic", nic])
        finally:
            srv.terminate()
            srv.wait(5)
    for line in run.matching(r"\[tlstest\]"):
        print(line, flush=True)
    c.that(run.status == 0, f"exit status {run.status} == 0")
    c.that(bool(run.matching(r"\[tlstest\] PASS device identity from provisioning page 3$")),
           "device identity from provisioning page 3")
    for what in ("full mutual handshake",
                 "256 KiB each way, checked", "KeyUpdate (update_requested) sent",
                 "a line each way after the KeyUpdate", "resumed handshake",
                 "a line each way after resuming"):
        for prefix in ("", "impaired: "):
            c.that(bool(run.matching(r"\[tlstest\] PASS " + prefix + what.replace("(", r"\(")
                                     .replace(")", r"\)") + "$")), prefix + what)
    c.that(bool(run.matching(r"\[tlstest\] impairment: [1-9]\d* dropped, [1-9]\d* duplicated, "
                             r"[1-9]\d* reordered")), "the link was impaired")
    c.that(bool(run.matching(r"\[tlstest\] DONE failures=0")), "no step failed")
    c.that(any("CN = UV" in l for l in out), "s_server verified the device certificate")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
