#!/usr/bin/env python3
"""The update port end to end (docs/update-uart.md): `keel update` installs
an app and a microvisor that then boot on trial (an app update during the
app's trial is refused: trial in progress); every refusal reaches the
host with its reason (unsigned, unknown signer, rolled back, needs a newer
microvisor, tampered image bytes); malformed frames and requests get their
protocol status (bad CRC, oversized length, unknown type, bad payloads,
out-of-sequence calls) and a stalled half frame does not wedge the port;
the microvisor keeps serving after all of it."""
import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import harness
import update_util as uu


def frame(t, seq, pl=b""):
    h = b"KU" + bytes([t, seq]) + struct.pack("<H", len(pl)) + pl
    return h + struct.pack("<I", zlib.crc32(h))


class Port:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        for _ in range(200):
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.02)
        self.buf = b""

    def send(self, raw):
        self.s.sendall(raw)

    def answer(self, t, seq, timeout=5):
        """(status, detail, state, comp, next, total) of the response."""
        self.s.settimeout(timeout)
        while True:
            i = self.buf.find(b"KU")
            if i >= 0 and len(self.buf) >= i + 26:
                f = self.buf[i:i + 26]
                self.buf = self.buf[i + 26:]
                if f[2] == (t | 0x80) and f[3] == seq:
                    return struct.unpack_from("<bbBBII", f, 6)
                continue
            self.buf += self.s.recv(256)

    def ask(self, t, seq, pl=b""):
        self.send(frame(t, seq, pl))
        return self.answer(t, seq)


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    mv_elf = os.path.join(a.fw, "microvisor", "microvisor.elf")
    key = os.path.join(a.fw, "keel-dev-key.pem")
    check = harness.Check("update_port")
    with tempfile.TemporaryDirectory() as tmp:
        j = lambda name: os.path.join(tmp, name)
        flash, sock = j("flash.img"), j("port")
        first = harness.boot(a.keel, a.fw, hello, timeout=30, flash=flash,
                             until=r"\[upd\] update port ready")
        if not check.that(not first.timed_out, "the provisioned device boots"):
            return check.done(first)
        uu.keel(a.keel, "keygen", j("rogue.pem"))
        good = j("app-0.2.0.kb")
        uu.bundle(a.keel, key, "app", "0.2.0", 1, hello, good)
        uu.bundle(a.keel, key, "microvisor", "0.1.1", 1, mv_elf, j("mv-0.1.1.kb"))
        uu.bundle(a.keel, key, "app", "0.2.1", 1, hello, j("app-0.2.1.kb"))
        uu.bundle(a.keel, key, "app", "0.0.9", 0, hello, j("rollback.kb"))
        uu.bundle(a.keel, j("rogue.pem"), "app", "0.2.0", 1, hello, j("rogue.kb"))
        uu.keel(a.keel, "bundle", "--kind", "app", "--version", "0.2.0", "--counter", "1",
                "--min-mv", "0.1.0", hello, j("unsigned.kb"))
        uu.keel(a.keel, "bundle", "--kind", "app", "--version", "0.2.0", "--counter", "1",
                "--min-mv", "9.0.0", "--key", key, hello, j("newer-mv.kb"))
        tampered = bytearray(open(good, "rb").read())
        tampered[-100] ^= 0x01  # an image byte; the manifest stays intact
        open(j("tampered.kb"), "wb").write(tampered)

        dev = uu.Device(a.keel, a.fw, flash, sock, timeout=120)
        lines = []
        try:
            check.that(dev.wait_for(r"\[upd\] update port ready", 15) is not None,
                       "the port comes up")

            def update(bundle, *extra):
                r = subprocess.run([a.keel, "update", "--uart", sock, "--quiet", *extra,
                                    bundle], capture_output=True, text=True)
                return r.returncode, r.stderr + r.stdout

            for name, reason in (
                    ("unsigned.kb", "the manifest: manifest rejected: key id missing"),
                    ("rogue.kb", "the manifest: manifest rejected: no trusted signer"),
                    ("rollback.kb", "the manifest: security counter below the device's "
                                    "anti-rollback floor"),
                    ("newer-mv.kb", "the manifest: app needs a newer microvisor"),
                    ("tampered.kb", "the image: image does not match the manifest's "
                                    "digests")):
                rc, out = update(j(name))
                check.that(rc == 1 and f"the device refused {reason}" in out,
                           f"{name}: refused: {reason} (exit {rc}: {out.strip()})")

            port = Port(sock)
            seq = 1
            for what, raw, t, want in (
                    ("bad CRC", frame(1, 1)[:-1] + b"\x00", 1, -32),
                    ("unknown type", frame(7, 2), 7, -34),
                    ("STATUS with a payload", frame(1, 3, b"x"), 1, -35),
                    ("NEXT for component 3", frame(3, 4, b"\x03"), 3, -35),
                    ("WRITE of 0 bytes", frame(4, 5, b"\0\0\0\0"), 4, -35),
                    ("WRITE of 1025 bytes", frame(4, 6, bytes(1029)), 4, -35),
                    ("ACTIVATE with unknown flags", frame(6, 7, b"\x02"), 6, -35),
                    ("BEGIN of garbage", frame(2, 8, b"\xa0" * 40), 2, -2),
                    ("WRITE with no download open", frame(4, 9, bytes(20)), 4, -7),
                    ("FINISH with no download open", frame(5, 10), 5, -7),
                    ("ACTIVATE with nothing verified", frame(6, 11, b"\x00"), 6, -7)):
                port.send(raw)
                seq = raw[3]
                r = port.answer(t, seq)
                check.that(r[0] == want, f"{what}: status {r[0]} == {want}")
            # a length over the maximum is refused at the header
            port.send(b"KU\x02\x0c" + struct.pack("<H", 4000))
            check.that(port.answer(2, 12)[0] == -33, "a 4000-byte frame: status -33")
            # a half frame, then silence: dropped, and the next frame is served
            port.send(frame(1, 13)[:5])
            time.sleep(0.4)
            check.that(port.ask(1, 14)[0] == 0, "after a stalled half frame, STATUS answers")
            # a chunk at the wrong offset names the right one
            env = open(good, "rb").read()
            m = struct.unpack_from("<I", env, 12)[0]
            r = port.ask(2, 15, env[32:32 + m])
            check.that(r[0] == 0 and r[2] == 1, f"BEGIN opens a download {r}")
            r = port.ask(4, 16, struct.pack("<I", 4096) + bytes(16))
            check.that(r[0] == -6 and r[4] == 0, f"WRITE at the wrong offset: -6, next 0 {r}")
            port.s.close()

            rc, out = update(good)
            check.that(rc == 0 and "activated" in out, f"keel update installs app 0.2.0 "
                                                         f"(exit {rc})")
            start = dev.wait_for(r"^\[mv\] app 0\.2\.0 loaded from slot B: .*first boot "
                                 r"\(trial\)", 15)
            check.that(start is not None, "app 0.2.0 boots on trial")
            check.that(dev.wait_for(r"\[upd\] update port ready", 15, start or 0) is not None,
                       "the port is back after the reboot")
            # app 0.2.0's trial runs (health time 10 s): no app update over it
            rc, out = update(j("app-0.2.1.kb"))
            check.that(rc == 1 and "the device refused the manifest: trial in progress" in out,
                       f"an app update during the app's trial: refused (exit {rc}: "
                       f"{out.strip()})")
            check.that(dev.wait_for(r"^\[upd\] begin refused: trial in progress", 5, start or 0)
                       is not None, "the device says why")
            rc, out = update(j("mv-0.1.1.kb"))
            check.that(rc == 0, f"keel update installs microvisor 0.1.1 (exit {rc}: {out})")
            start = dev.wait_for(r"^\[boot\] slot B: microvisor 0\.1\.1, security counter 1, "
                                 r"on trial", 20)
            check.that(start is not None, "microvisor 0.1.1 boots on trial")
            check.that(dev.wait_for(r"^\[app\] heartbeat", 15, start or 0) is not None,
                       "the app runs under it")
        finally:
            lines = dev.kill()
        bad = [line for line in lines if "CRASH" in line or "unexpected" in line]
        check.that(not bad, f"no crash on the device {bad[:1]}")
        for comp, version, counter, slot, trial in uu.boots(lines):
            check.that(counter >= 1, f"booted {comp} {version} counter {counter} >= floor 1")
    run = harness.Run(0, lines, 0, False)
    return check.done(run)


if __name__ == "__main__":
    sys.exit(main())
