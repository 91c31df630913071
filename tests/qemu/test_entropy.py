#!/usr/bin/env python3
"""board_entropy() on an505: the DRBG is seeded once per boot with a boot
counter made durable in flash first (so boots 1, 2, 3 on one flash image
never seed alike), and with the device secret (the identity key seed of
provisioning page 3) when the device has one: keel run gives a new flash
an identity, the test then erases the identity page (a device without a
secret) and writes a new one."""
import argparse
import os
import struct
import sys
import tempfile
import zlib

import harness

IDENTITY_OFFSET = 3 * 8192  # provisioning page 3 (docs/flash-layout.md)


def erase_identity(flash):
    with open(flash, "r+b") as f:
        f.seek(IDENTITY_OFFSET)
        f.write(b"\xff" * 8192)


def write_identity(flash):
    """An identity page as keel provision writes it: "KIDN", cert length,
    CRC-32 of seed and certificate, ~CRC, seed, certificate (a dummy)."""
    seed, cert = os.urandom(32), b"\x30\x03\x02\x01\x00"
    crc = zlib.crc32(seed + cert)
    page = struct.pack("<4I", 0x4E44494B, len(cert), crc, crc ^ 0xFFFFFFFF) + seed + cert
    page += b"\xff" * (-len(page) % 16)
    with open(flash, "r+b") as f:
        f.seek(IDENTITY_OFFSET)
        f.write(page)


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    c = harness.Check("entropy")
    run = None
    with tempfile.TemporaryDirectory() as tmp:
        flash = os.path.join(tmp, "flash.img")
        seen = []
        for boot in (1, 2, 3):
            if boot == 2:
                erase_identity(flash)
            if boot == 3:
                write_identity(flash)
            run = harness.boot(a.keel, a.fw, hello, timeout=30, until=r"DHCP bound", flash=flash)
            lines = run.matching(r"^\[entropy\] ")
            print("\n".join(lines), flush=True)
            seen.append(lines[0] if lines else "")
        c.that(seen[0].startswith("[entropy] boot 1, device secret"),
               "first boot: counter 1, seeded with keel run's device identity")
        c.that(seen[1].startswith("[entropy] boot 2, no device secret"),
               "second boot: counter 2, identity page erased (no secret)")
        c.that(seen[2].startswith("[entropy] boot 3, device secret"),
               "third boot: counter 3, a new identity page's secret")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
