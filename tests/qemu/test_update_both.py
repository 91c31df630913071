#!/usr/bin/env python3
"""Two components and re-sent bundles over the update port (docs/updates.md
"Two components", docs/update-uart.md): every outcome keel update prints is
what the device did.

1. microvisor then app, back to back: the app is activated during the
   microvisor's trial; its reboot waits until the microvisor is confirmed
   (a reboot during the trial would revert it), then the app boots on trial
   and is confirmed: both confirmed, nothing reverted.
2. app then microvisor, back to back, the app's trial (15 s) longer than
   the microvisor's download: the same, the other way round.
3. the app bundle that is installed and confirmed, sent again: "already
   installed", nothing written, no reboot.
4. a staged app (--no-activate) corrupted in flash.img between two runs:
   the same bundle sent again finds the damage, sends the damaged part
   again and activates a good image.
5. an activated app corrupted in flash.img before its first boot: the boot
   rejects it and records why; the same bundle sent again repairs it.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import harness
import update_util as uu

APP_SLOT = {"A": 0x80200000 - uu.FLASH_BASE, "B": 0x80410000 - uu.FLASH_BASE}
IMAGE = 0x4000  # the image starts after the manifest and progress pages


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    mv_elf = os.path.join(a.fw, "microvisor", "microvisor.elf")
    key = os.path.join(a.fw, "keel-dev-key.pem")
    check = harness.Check("update_both")
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        j = lambda name: os.path.join(tmp, name)
        flash, sock = j("flash.img"), j("port")
        first = harness.boot(a.keel, a.fw, hello, timeout=30, flash=flash,
                             until=r"\[upd\] update port ready")
        if not check.that(not first.timed_out, "the provisioned device boots"):
            return check.done(first)

        def bundle(kind, version, counter, src, *extra):
            out = j(f"{kind}-{version}.kb")
            more = ["--min-mv", "0.1.0"] if kind == "app" else []
            uu.keel(a.keel, "bundle", "--kind", kind, "--version", version, "--counter",
                    str(counter), *more, *extra, "--key", key, src, out)
            return out

        mv1 = bundle("microvisor", "0.1.1", 1, mv_elf)
        app2 = bundle("app", "0.2.0", 1, hello, "--trial", "2")
        app3 = bundle("app", "0.3.0", 1, hello, "--trial", "15")
        mv2 = bundle("microvisor", "0.1.2", 1, mv_elf)
        app4 = bundle("app", "0.4.0", 1, hello, "--trial", "2")
        app5 = bundle("app", "0.5.0", 1, hello, "--trial", "2")

        def update(path, *extra):
            r = subprocess.run([a.keel, "update", "--uart", sock, "--quiet", *extra, path],
                               capture_output=True, text=True, timeout=180)
            return r.returncode, (r.stdout + r.stderr).strip()

        def run_dev():
            dev = uu.Device(a.keel, a.fw, flash, sock, timeout=240)
            check.that(dev.wait_for(r"\[upd\] update port ready", 20) is not None,
                       "the port comes up")
            return dev

        def since(dev, start):
            return dev.snapshot()[start:]

        def back_to_back(dev, first_b, first_rx, second_b, second_rx, other, name):
            start = len(dev.snapshot())
            rc, out = update(first_b)
            check.that(rc == 0 and "(the device reboots into it, on trial)" in out,
                       f"{name}: the first update is activated, rebooting ({out})")
            at = dev.wait_for(first_rx, 30, start)
            check.that(at is not None, f"{name}: the first image boots on trial")
            at = dev.wait_for(r"\[upd\] update port ready", 20, at or start)
            rc, out = update(second_b)
            deferred = f"once its {other}'s trial ends" in out
            check.that(rc == 0 and deferred,
                       f"{name}: sent during the first one's trial: activated, the reboot "
                       f"deferred until that trial ends ({out})")
            conf = dev.wait_for(r"^\[mv\] (app|microvisor) \S+ confirmed", 40, at or start)
            again = dev.wait_for(r"\[upd\] no trial runs now: rebooting into the activated",
                                 40, at or start)
            check.that(conf is not None and again is not None and conf < again,
                       f"{name}: the device reboots into the second update only after the "
                       f"first is confirmed")
            second = dev.wait_for(second_rx, 30, again or start)
            check.that(second is not None, f"{name}: the second image boots on trial")
            done = dev.wait_for(r"^\[mv\] (app|microvisor) \S+ confirmed", 40, second or start)
            check.that(done is not None, f"{name}: the second is confirmed too")
            bad = [ln for ln in since(dev, start)
                   if "rejected" in ln or "reverting" in ln or "CRASH" in ln]
            check.that(not bad, f"{name}: nothing rejected or reverted {bad[:2]}")

        dev = run_dev()
        try:
            # 1. microvisor then app
            back_to_back(dev, mv1, r"^\[boot\] slot B: microvisor 0\.1\.1, .*on trial",
                         app2, r"^\[mv\] app 0\.2\.0 loaded from slot B: .*first boot \(trial\)",
                         "microvisor", "microvisor then app")
            check.that(dev.wait_for(r"^\[boot\] slot B: microvisor 0\.1\.1, security counter 1$",
                                    1) is not None,
                       "microvisor then app: the app's boot runs the confirmed microvisor 0.1.1")
            # 2. app then microvisor; the app's trial outlasts the download
            back_to_back(dev, app3, r"^\[mv\] app 0\.3\.0 loaded from slot A: .*first boot \(trial\)",
                         mv2, r"^\[boot\] slot A: microvisor 0\.1\.2, .*on trial",
                         "application", "app then microvisor")
            start = len(dev.snapshot())
            # 3. already installed
            rc, out = update(app3)
            check.that(rc == 0 and out.startswith("already installed:"),
                       f"the confirmed app sent again: already installed ({out})")
            check.that(dev.wait_for(r"^\[upd\] begin: already installed", 5, start) is not None
                       and dev.wait_for(r"^\[boot\]", 2, start) is None,
                       "the device says so and does not reboot")
            # 4. staged, then corrupted between two runs
            rc, out = update(app4, "--no-activate")
            check.that(rc == 0 and "staged" in out, f"app 0.4.0 staged ({out})")
        finally:
            lines = dev.kill()
        staged = [ln for ln in lines if ln.startswith("[upd] begin app 0.4.0")]
        slot = "B" if staged and ": slot B," in staged[-1] else "A"
        img = bytearray(open(flash, "rb").read())
        img[APP_SLOT[slot] + IMAGE + 200] ^= 0x04
        open(flash, "wb").write(img)
        dev = run_dev()
        try:
            start = len(dev.snapshot())
            rc, out = update(app4)
            check.that(rc == 0 and "damaged" in out and "activated:" in out,
                       f"the same bundle again: the damage is found and repaired ({out})")
            check.that(dev.wait_for(r"^\[upd\] finish: the staged app image no longer matches",
                                    5, start) is not None, "the device says what it found")
            check.that(dev.wait_for(r"^\[mv\] app 0\.4\.0 loaded from slot " + slot +
                                    r": .*first boot \(trial\)", 20, start) is not None,
                       "the repaired app 0.4.0 boots on trial")
            check.that(dev.wait_for(r"^\[mv\] app 0\.4\.0 confirmed", 20, start) is not None,
                       "and is confirmed")
            at = dev.wait_for(r"\[upd\] update port ready", 20, start + 1)
            # 5. activated (no reboot), then corrupted before its first boot
            rc, out = update(app5, "--no-reboot")
            check.that(rc == 0 and "at its next reset" in out, f"app 0.5.0 activated ({out})")
        finally:
            lines = dev.kill()
        staged = [ln for ln in lines if ln.startswith("[upd] begin app 0.5.0")]
        slot = "B" if staged and ": slot B," in staged[-1] else "A"
        img = bytearray(open(flash, "rb").read())
        img[APP_SLOT[slot] + IMAGE + 300] ^= 0x40
        open(flash, "wb").write(img)
        dev = run_dev()
        try:
            check.that(any(f"[mv] app update 0.5.0 in slot {slot} rejected at boot: image does "
                           "not match the manifest's digests" in ln for ln in dev.snapshot()),
                       "the boot rejects the damaged activated app and says why")
            start = len(dev.snapshot())
            rc, out = update(app5)
            check.that(rc == 0 and out.startswith("activated:"),
                       f"the same bundle again repairs and activates it ({out})")
            check.that(dev.wait_for(r"^\[mv\] app 0\.5\.0 loaded from slot " + slot +
                                    r": .*first boot \(trial\)", 20, start) is not None,
                       "the repaired app 0.5.0 boots on trial")
        finally:
            lines += dev.kill()
        bad = [ln for ln in lines if "CRASH" in ln or "unexpected" in ln]
        check.that(not bad, f"no crash on the device {bad[:1]}")
    return check.done(harness.Run(0, lines, 0, False))


if __name__ == "__main__":
    sys.exit(main())
