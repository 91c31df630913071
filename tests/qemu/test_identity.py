#!/usr/bin/env python3
"""The device id is bound to the device key: a provisioning record whose id
does not match SHA-256 of its public key is not accepted, and the
application then gets no device id."""
import argparse
import os
import sys
import tempfile

import harness

PROVISION_OFFSET = 0  # the record is at the start of the flash
ID_OFFSET = 8         # struct provision_record: magic, version, id


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    check = harness.Check("identity")
    with tempfile.TemporaryDirectory() as tmp:
        flash = os.path.join(tmp, "flash.img")
        good = harness.boot(a.keel, a.fw, hello, timeout=30, until=r"heartbeat 1 ", flash=flash)
        ids = [l.split()[-1] for l in good.matching(r"^\[mv\] device UV")]
        check.that(len(ids) == 1, f"a provisioned device names itself ({ids})")
        check.that(bool(good.matching(r"^\[app\] hello from UV")), "the app reads its id")
        with open(flash, "r+b") as f:
            f.seek(PROVISION_OFFSET + ID_OFFSET + 33)
            last = f.read(1)
            f.seek(PROVISION_OFFSET + ID_OFFSET + 33)
            f.write(b"0" if last != b"0" else b"1")  # still valid hex syntax
        bad = harness.boot(a.keel, a.fw, hello, timeout=30, until=r"heartbeat 1 ", flash=flash)
        check.that(bool(bad.matching(r"^\[mv\] device not provisioned")),
                   "an id that does not match the key is refused")
        check.that(bool(bad.matching(r"^\[app\] hello from an unprovisioned device")),
                   "the app gets no device id")
    return check.done(bad)


if __name__ == "__main__":
    sys.exit(main())
