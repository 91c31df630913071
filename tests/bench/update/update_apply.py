#!/usr/bin/env python3
"""BENCH update_apply_1mib: instructions the device spends verifying and
activating a staged 1 MiB app (QEMU -icount: one instruction per virtual
nanosecond).

A device is provisioned with keel run; a 1 MiB app bundle (hello, padded)
is staged into app slot B of its flash file as a finished download would
leave it (manifest page, progress log with the image complete, image
bytes: docs/flash-layout.md), because streaming 1 MiB through QEMU's
one-byte UART takes minutes. The device is then booted with -icount and
asked over its update port to resume (NEXT), verify (FINISH) and activate
(ACTIVATE, no reboot). The device reports the microseconds its verify
steps and its activation took ("[upd] activated ... (verify N us, activate
M us)"); the figure is (N + M) * 1000 instructions. It counts only the
device's own work (the verify steps, not the ticks between them when the
application runs), measured to 1 us, i.e. 1,000 instructions.
"""
import argparse
import os
import re
import socket
import struct
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "qemu"))
import harness  # noqa: E402
import update_util as uu  # noqa: E402

APP_SLOT_B = 0x80410000 - uu.FLASH_BASE
SIZE = 1 << 20


def frame(t, seq, pl=b""):
    h = b"KU" + bytes([t, seq]) + struct.pack("<H", len(pl)) + pl
    return h + struct.pack("<I", zlib.crc32(h))


def request(s, t, seq, pl=b"", timeout=5):
    s.settimeout(timeout)
    s.sendall(frame(t, seq, pl))
    buf = b""
    while True:
        i = buf.find(b"KU")
        if i >= 0 and len(buf) >= i + 26:
            f = buf[i:i + 26]
            if f[2] == (t | 0x80) and f[3] == seq:
                return struct.unpack_from("<bbBBII", f, 6)
            buf = buf[i + 2:]
            continue
        buf += s.recv(256)


def stage(flash_path, bundle_path):
    """Writes the bundle into app slot B as a complete, unverified download."""
    data = open(bundle_path, "rb").read()
    m, n = struct.unpack_from("<II", data, 12)
    env = data[32:32 + m]
    img = data[32 + ((m + 15) & ~15):][:n]
    hdr = struct.pack("<4sIII", b"KMAN", m, zlib.crc32(env), ~m & 0xFFFFFFFF)
    man = hdr + env
    man += b"\xff" * (uu.PAGE - len(man))
    prg = struct.pack("<4sII", b"KPRG", 1, n)  # FRONTIER = the whole image
    prg += struct.pack("<I", zlib.crc32(prg))
    prg += b"\xff" * (uu.PAGE - len(prg))
    with open(flash_path, "r+b") as f:
        f.seek(APP_SLOT_B)
        f.write(man + prg + img)
    return n


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    key = os.path.join(a.fw, "keel-dev-key.pem")
    with tempfile.TemporaryDirectory() as tmp:
        j = lambda name: os.path.join(tmp, name)
        flash, sock = j("flash.img"), j("port")
        run = harness.boot(a.keel, a.fw, hello, timeout=30, flash=flash,
                           until=r"\[upd\] update port ready")
        if run.timed_out:
            print(run.text())
            return 1
        uu.padded_app_img(a.keel, hello, j("big.img"), SIZE, 7)
        uu.bundle(a.keel, key, "app", "0.2.0", 1, j("big.img"), j("big.kb"))
        total = stage(flash, j("big.kb"))
        dev = uu.Device(a.keel, a.fw, flash, sock, timeout=300, extra=["--icount"])
        ok = False
        try:
            if dev.wait_for(r"\[upd\] update port ready", 60) is None:
                raise RuntimeError("the device did not come up")
            s = socket.socket(socket.AF_UNIX)
            for _ in range(100):
                try:
                    s.connect(sock)
                    break
                except OSError:
                    time.sleep(0.05)
            r = request(s, 0x03, 1, b"\x02")  # NEXT app: resume from flash
            if r[0] != 0 or r[2] != 2 or r[5] != total:
                raise RuntimeError(f"resume: {r}")
            r = request(s, 0x05, 2, timeout=240)  # FINISH
            if r[0] != 0:
                raise RuntimeError(f"finish: {r}")
            r = request(s, 0x06, 3, b"\x00")  # ACTIVATE, no reboot
            if r[0] != 0:
                raise RuntimeError(f"activate: {r}")
            i = dev.wait_for(r"\[upd\] activated .*verify (\d+) us, activate (\d+) us", 30)
            if i is None:
                raise RuntimeError("no activation line")
            line = dev.snapshot()[i]
            v, act = map(int, re.search(r"verify (\d+) us, activate (\d+) us", line).groups())
            print(f"BENCH update_apply_1mib {(v + act) * 1000} instr")
            print(f"BENCH update_verify_1mib {v * 1000} instr")
            print(f"BENCH update_activate {act * 1000} instr")
            ok = True
        except (RuntimeError, OSError) as e:
            print(f"update_apply: {e}")
        finally:
            lines = dev.kill()
        if not ok:
            print("\n".join(lines))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
