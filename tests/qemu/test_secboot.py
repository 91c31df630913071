#!/usr/bin/env python3
"""Secure boot: a tampered, unsigned, wrongly signed (unknown signer, bad
signature), truncated or rolled-back image never runs, for the microvisor
(checked by the boot ROM) and for the app (checked by the microvisor); the
console names each rejection's reason.

A good device is installed once with `keel run` (images signed with the
development key, installed and confirmed by the update engine, security
counter 1 = the anti-rollback floor); each case edits a copy of its flash
file as an attacker with write access to the flash would (slot layout:
docs/flash-layout.md) and boots it with `keel run --no-install`."""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import harness

FLASH_BASE = 0x80000000
MV_SLOT_A = 0x80010000 - FLASH_BASE
APP_SLOT_A = 0x80200000 - FLASH_BASE
PAGE = 8192
IMAGE_OFF = 2 * PAGE  # manifest page, progress log, then the image


def put_manifest(flash, slot, env, length=None):
    """Writes a committed manifest page (header + envelope) into slot."""
    n = len(env) if length is None else length
    body = env[:n]
    hdr = struct.pack("<4sIII", b"KMAN", n, zlib.crc32(body), ~n & 0xFFFFFFFF)
    page = hdr + env
    flash[slot:slot + PAGE] = page + b"\xff" * (PAGE - len(page))


def manifest_of(flash, slot):
    n = struct.unpack_from("<I", flash, slot + 4)[0]
    return bytes(flash[slot + 16:slot + 16 + n])


def read_bundle(path):
    data = open(path, "rb").read()
    m, n = struct.unpack_from("<II", data, 12)
    env_off = 32
    img_off = 32 + ((m + 15) & ~15)
    return data[env_off:env_off + m], data[img_off:img_off + n]


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    mv_elf = os.path.join(a.fw, "microvisor", "microvisor.elf")
    dev_key = os.path.join(a.fw, "keel-dev-key.pem")
    check = harness.Check("secboot")
    last = None
    with tempfile.TemporaryDirectory() as tmp:
        j = lambda name: os.path.join(tmp, name)
        base = j("good.img")
        good = harness.boot(a.keel, a.fw, hello, timeout=30, until=r"heartbeat 1 ", flash=base)
        last = good
        check.that(bool(good.matching(r"^\[app\] heartbeat 1 ")), "the signed device boots")

        def keel(*args):
            subprocess.run([a.keel] + list(args), check=True, stdout=subprocess.DEVNULL)

        keel("keygen", j("rogue.pem"))
        bundles = {}
        for comp, elf in (("microvisor", mv_elf), ("app", hello)):
            extra = ["--min-mv", "0.1.0"] if comp == "app" else []
            for name, key_args, counter in (("unsigned", [], "1"),
                                            ("rogue", ["--key", j("rogue.pem")], "1"),
                                            ("rollback", ["--key", dev_key], "0")):
                out = j(f"{comp}-{name}.kb")
                keel("bundle", "--kind", comp, "--version", "0.1.0", "--counter", counter,
                     *extra, *key_args, elf, out)
                bundles[(comp, name)] = read_bundle(out)

        base_bytes = open(base, "rb").read()

        def case(comp, name, edit, reason):
            nonlocal last
            flash = bytearray(base_bytes)
            slot = MV_SLOT_A if comp == "microvisor" else APP_SLOT_A
            edit(flash, slot)
            path = j(f"{comp}-{name}.img")
            open(path, "wb").write(flash)
            if comp == "microvisor":
                run = harness.boot(a.keel, a.fw, None, timeout=30, flash=path,
                                   run_args=["--no-install"])
                who, gone = r"^\[boot\] slot A: rejected: ", r"^\[boot\] no valid microvisor"
                check.that(run.status == 0xB0, f"{comp} {name}: the boot ROM halts "
                           f"(exit {run.status})")
            else:
                run = harness.boot(a.keel, a.fw, None, timeout=30, flash=path,
                                   until=r"no runnable application",
                                   run_args=["--no-install"])
                who, gone = r"^\[mv\] app slot A: rejected: ", r"^\[mv\] no runnable application"
            last = run
            check.that(bool(run.matching(who + reason)), f"{comp} {name}: rejected: {reason}")
            check.that(bool(run.matching(gone)), f"{comp} {name}: nothing else to boot")
            never = r"starting microvisor" if comp == "microvisor" else r"^\[app\]|starting app"
            check.that(not run.matching(never),
                       f"{comp} {name}: the image never runs")

        def tamper(flash, slot):
            flash[slot + IMAGE_OFF + 200] ^= 0x01

        def bad_signature(flash, slot):
            env = bytearray(manifest_of(flash, slot))
            env[-1] ^= 0x01  # the signature is the envelope's last bytes
            put_manifest(flash, slot, bytes(env))

        def truncate(flash, slot):
            env = manifest_of(flash, slot)
            put_manifest(flash, slot, env, length=len(env) - 40)

        def from_bundle(comp, name):
            def edit(flash, slot):
                env, img = bundles[(comp, name)]
                put_manifest(flash, slot, env)
                flash[slot + IMAGE_OFF:slot + IMAGE_OFF + len(img)] = img
            return edit

        for comp in ("microvisor", "app"):
            case(comp, "tampered", tamper, "image does not match the manifest's digests")
            case(comp, "bad-signature", bad_signature,
                 "manifest rejected: signature wrong length or does not verify")
            case(comp, "unknown-signer", from_bundle(comp, "rogue"),
                 "manifest rejected: no trusted signer with this key id")
            case(comp, "unsigned", from_bundle(comp, "unsigned"),
                 "manifest rejected: key id missing")
            case(comp, "truncated", truncate, "manifest rejected: ")
            case(comp, "rolled-back", from_bundle(comp, "rollback"),
                 "security counter below the device's anti-rollback floor")
    return check.done(last)


if __name__ == "__main__":
    sys.exit(main())
