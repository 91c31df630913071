#!/usr/bin/env python3
"""Trials and reverts (docs/updates.md), on one device, boot after boot:

  app 0.1.0 confirmed, 0.2.0 activated on trial -> it boots with wake
    reason APPLICATIONUPDATE, is confirmed after its health time (2 s) and
    keeps booting;
  0.3.13, which crashes on trial -> REJECT, the microvisor loads 0.2.0 in
    place; the app learns "reverted" through mvGetUpdateStatus, also after
    a reboot; the same for 0.3.14, which hangs, and 0.3.15, which exits;
  0.4.7, which confirms itself (mvConfirmApplicationUpdate) -> confirmed at
    once, survives a reboot;
  microvisor 0.2.0 on trial -> wake reason MICROVISORUPDATE, confirmed by
    the microvisor's health rule; microvisor 0.3.66 and 0.3.67 (the test
    build, which the app crashes on purpose: a fault, a hang the watchdog
    catches) -> the device resets and the boot ROM reverts to 0.2.0; the
    app learns it;
  microvisor 0.4.0 and app 0.5.7 (which confirms itself) on trial together
    -> the app's CONFIRM waits for the microvisor's; a reset before it
    reverts both; run through, the microvisor is confirmed, then the app.

The device is made by `keel run` (everything signed with the development
key, installed and confirmed); each update is staged the way the update
engine leaves a verified download that `update_activate` made the trial:
the bundle from `keel bundle` in the slot the engine would pick, a VERIFIED
progress entry, and a TRIAL record in the journal (docs/flash-layout.md).
"""
import argparse
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import harness
from harness import APP

FLASH_BASE = 0x80000000
SLOTS = {"microvisor": (0x80010000, 0x80090000), "app": (0x80200000, 0x80410000)}
COMP = {"microvisor": 1, "app": 2}
JOURNAL = 0x80F00000
PAGE = 8192


# Every microvisor console line starts with a tag: [boot], [mv], [net],
# [upd], [entropy], [app] (mvServerLog) ...
EMBEDDED = re.compile(r"\[[a-z]+\] ")
TAGGED = re.compile(r"^\[[a-z]+\] ")


def untangle(lines):
    """The two consoles share one stream and are not line-atomic: a
    microvisor line can land inside an application line ("trial: ...
    rejected [net] DHCP started" then "00030042"). Puts each back whole."""
    out, carry = [], ""
    for line in lines:
        line = carry + line
        carry = ""
        m = EMBEDDED.search(line, 1)
        if m and not TAGGED.match(line):
            carry = line[:m.start()]
            line = line[m.start():]
        out.append(line)
    if carry:
        out.append(carry)
    return out


def beat(n):
    """Until-regex for heartbeat n or any later one: the line itself may be
    broken by the other console, so do not wait for exactly one line."""
    return rf"^{APP}trial: heartbeat (" + "|".join(str(k) for k in range(n, n + 60)) + r")$"


def read_bundle(path):
    data = open(path, "rb").read()
    m, n = struct.unpack_from("<II", data, 12)
    img_off = 32 + ((m + 15) & ~15)
    return data[32:32 + m], data[img_off:img_off + n]


def version_of(text):
    a, b, c = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c


def jrec(rtype, comp, slot, value, digest):
    b = struct.pack("<IBBBBII8sI", 0x314E524A, rtype, comp, slot, 0, value, 0, digest, 0)
    return b + struct.pack("<I", zlib.crc32(b))


def stage(flash_path, comp, slot, bundle, version):
    """Writes a verified download of bundle into comp's slot and makes it
    the trial (TRIAL record appended to the current journal page)."""
    env, img = read_bundle(bundle)
    f = bytearray(open(flash_path, "rb").read())
    base = SLOTS[comp][slot] - FLASH_BASE
    n = len(env)
    page = struct.pack("<4sIII", b"KMAN", n, zlib.crc32(env), ~n & 0xFFFFFFFF) + env
    f[base:base + PAGE] = page + b"\xff" * (PAGE - len(page))
    log = b""
    for kind in (1, 2):  # FRONTIER (all bytes), VERIFIED
        e = struct.pack("<4sII", b"KPRG", kind, len(img))
        log += e + struct.pack("<I", zlib.crc32(e))
    f[base + PAGE:base + 2 * PAGE] = log + b"\xff" * (PAGE - len(log))
    f[base + 2 * PAGE:base + 2 * PAGE + len(img)] = img
    # the current journal page: valid PAGE record, highest epoch
    best = None
    for p in (0, 1):
        at = JOURNAL - FLASH_BASE + p * PAGE
        rec = bytes(f[at:at + 32])
        if rec[:4] == b"JRN1" and rec[4] == 1 and zlib.crc32(rec[:28]) == \
                struct.unpack_from("<I", rec, 28)[0]:
            epoch = struct.unpack_from("<I", rec, 8)[0]
            if best is None or epoch > best[0]:
                best = (epoch, at)
    assert best, "no journal page"
    at = best[1]
    while f[at:at + 32] != b"\xff" * 32:
        at += 32
    digest = hashlib.sha256(env).digest()[:8]
    f[at:at + 32] = jrec(3, COMP[comp], slot, version, digest)
    open(flash_path, "wb").write(f)


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    app_elf = os.path.join(a.apps, "trial", "trial.elf")
    mv_elf = os.path.join(a.fw, "microvisor", "microvisor.elf")
    mv_test_elf = os.path.join(a.fw, "microvisor", "microvisor_test.elf")
    key = os.path.join(a.fw, "keel-dev-key.pem")
    check = harness.Check("trial")
    start = time.monotonic()
    last = None
    with tempfile.TemporaryDirectory() as tmp:
        flash = os.path.join(tmp, "flash.img")

        def bundle(comp, elf, version, *extra):
            out = os.path.join(tmp, f"{comp}-{version}.kb")
            args = [a.keel, "bundle", "--kind", comp, "--version", version, "--counter", "1",
                    "--key", key]
            if comp == "app":
                args += ["--min-mv", "0.1.0"]
            subprocess.run(args + list(extra) + [elf, out], check=True,
                           stdout=subprocess.DEVNULL)
            return out

        def boot(until, timeout=20, install=False):
            nonlocal last
            run = harness.boot(a.keel, a.fw, app_elf if install else None, timeout=timeout,
                               until=until, flash=flash,
                               run_args=[] if install else ["--no-install"])
            run.lines = untangle(run.lines)
            last = run
            if not check.that(not run.timed_out, f"saw /{until}/"):
                print(run.text())
            check.that(not run.matching(rf"^{APP}FAIL"), "the application's checks pass")
            return run

        def has(run, rx, what):
            return check.that(bool(run.matching(rx)), what)

        # 1. the device: app 0.1.0 (keel run's version) confirmed in slot A
        run = boot(beat(1), install=True)
        has(run, rf"^{APP}trial: start: app 0 00010000 slot 0 rejected 00000000, mv 0 00010000",
            "0.1.0 runs confirmed")

        # 2. app 0.2.0 on trial, health time 2 s
        stage(flash, "app", 1, bundle("app", app_elf, "0.2.0", "--trial", "2"),
              version_of("0.2.0"))
        run = boot(beat(12))  # health time 2 s, a beat every 250 ms
        has(run, r"^\[mv\] app 0\.2\.0 loaded from slot B.*first boot \(trial\)",
            "0.2.0 boots from slot B on trial")
        has(run, rf"^{APP}trial: wake reason 9,", "wake reason APPLICATIONUPDATE")
        has(run, rf"^{APP}trial: start: app 1 00020000 slot 1 ", "the app sees itself on trial")
        has(run, r"^\[mv\] app 0\.2\.0 confirmed \(ran its health time without a crash\)",
            "confirmed by the health rule")
        def index(rx):
            hits = [i for i, line in enumerate(run.lines) if re.search(rx, line)]
            return hits[0] if hits else -1
        at = index(r"^\[mv\] app 0\.2\.0 confirmed")
        check.that(at > index(rf"^{APP}trial: heartbeat 7$") > 0,
                   "not before its 2 s health time (after heartbeat 7)")
        has(run, rf"^{APP}trial: now: app 0 00020000 slot 1 ", "the app sees it confirmed")
        run = boot(beat(1))
        has(run, r"^\[mv\] app 0\.2\.0 loaded from slot B.*counter 1$",
            "0.2.0 survives a reboot, confirmed")
        has(run, rf"^{APP}trial: wake reason 0,", "then a cold boot")

        # 3. app 0.3.13 crashes on trial: rejected, 0.2.0 loaded again in place
        stage(flash, "app", 0, bundle("app", app_elf, "0.3.13"), version_of("0.3.13"))
        run = boot(beat(1))
        has(run, r"^\[mv\] app 0\.3\.13 loaded from slot A.*first boot \(trial\)",
            "0.3.13 boots on trial")
        has(run, r"^\[mv\] app crash: SecureFault", "0.3.13 crashes")
        has(run, r"^\[mv\] app trial failed: app 0\.3\.13 stopped \(SecureFault\) after \d+ ms, "
            r"before its health time of 10000 ms; rejecting it", "the trial fails: REJECT")
        has(run, r"^\[mv\] app 0\.2\.0 loaded from slot B", "0.2.0 is loaded again")
        check.that(len(run.matching(r"^\[boot\] Keel boot ROM")) == 1,
                   "without a device reset")
        has(run, rf"^{APP}trial: wake reason 8,", "wake reason APPLICATIONCRASH after the revert")
        has(run, rf"^{APP}trial: start: app 2 00020000 slot 1 rejected 0003000d,",
            "the app learns 0.3.13 was reverted")
        # ... and so does one that hangs, and one that exits
        for version, why in (("0.3.14", r"hang \(interrupts masked too long\)"),
                             ("0.3.15", r"restart requested")):
            stage(flash, "app", 0, bundle("app", app_elf, version), version_of(version))
            run = boot(beat(1))
            has(run, rf"^\[mv\] app trial failed: app {version} stopped \({why}\)",
                f"{version} fails its trial: {why}")
            has(run, rf"^{APP}trial: start: app 2 00020000 slot 1 rejected {version_of(version):08x},",
                f"the app learns {version} was reverted")
        run = boot(beat(1))
        has(run, rf"^{APP}trial: start: app 2 00020000 slot 1 rejected 0003000f,",
            "still reverted after a reboot (until the next update)")

        # 4. app 0.4.7 confirms itself; survives a reboot
        stage(flash, "app", 0, bundle("app", app_elf, "0.4.7", "--trial", "3600"),
              version_of("0.4.7"))
        run = boot(beat(3))
        has(run, rf"^{APP}trial: mvConfirmApplicationUpdate: OKAY", "the app confirms itself")
        has(run, r"^\[mv\] app 0\.4\.7 confirmed \(the application confirmed it\)",
            "confirmed at once (health time 1 h)")
        has(run, rf"^{APP}trial: now: app 0 00040007 slot 0 ", "the app sees it confirmed")
        run = boot(beat(1))
        has(run, r"^\[mv\] app 0\.4\.7 loaded from slot A.*counter 1$", "0.4.7 survives a reboot")
        has(run, rf"^{APP}trial: start: app 0 00040007 slot 0 ", "the app sees it confirmed")

        # 5. microvisor 0.2.0 on trial: confirmed by its health rule
        stage(flash, "microvisor", 1, bundle("microvisor", mv_elf, "0.2.0"), version_of("0.2.0"))
        run = boot(beat(26), timeout=30)  # MV_TRIAL_MS 5 s
        has(run, r"^\[mv\] microvisor 0\.2\.0 confirmed \(ran with an application loaded, "
            r"no fault, no watchdog\)", "confirmed by the microvisor's health rule")
        has(run, rf"^{APP}trial: now: app 0 00040007 slot 0 rejected 00000000, mv 0 00020000 slot 1",
            "the app sees it confirmed")
        has(run, r"^\[boot\] slot B: microvisor 0\.2\.0, security counter 1, on trial",
            "the boot ROM starts microvisor 0.2.0 on trial")
        has(run, rf"^{APP}trial: wake reason 10,", "wake reason MICROVISORUPDATE")
        has(run, rf"^{APP}trial: start: app 0 00040007 slot 0 rejected 00000000, mv 1 00020000 slot 1",
            "the app sees the microvisor on trial")

        # 6. microvisor trials of the test build that crash (0.3.66: a fault in
        # secure code; 0.3.67: a hang, caught by the watchdog): the boot ROM
        # reverts each to 0.2.0
        for version, crash in (("0.3.66", r"HardFault"), ("0.3.67", r"watchdog expired")):
            stage(flash, "microvisor", 0, bundle("microvisor", mv_test_elf, version),
                  version_of(version))
            run = boot(beat(1), timeout=30)
            v = version.replace(".", r"\.")
            has(run, rf"^\[boot\] slot A: microvisor {v}, security counter 1, on trial",
                f"{version} starts on trial")
            has(run, rf"^\[mv\] MICROVISOR CRASH: {crash}.*resetting", f"{version}: {crash}")
            has(run, r"^\[boot\] microvisor trial in slot A reset before it was confirmed: "
                r"rejected, reverting", "the boot ROM rejects it")
            has(run, r"^\[boot\] starting microvisor from slot B", "and starts 0.2.0 again")
            has(run, rf"^\[mv\] microvisor update {v} was rejected",
                "the microvisor reports the revert")
            has(run, rf"^{APP}trial: wake reason 4,", "wake reason MICROVISORCRASH")
            has(run, rf"^{APP}trial: start: app 0 00040007 slot 0 rejected 00000000, "
                rf"mv 2 00020000 slot 1 rejected {version_of(version):08x}",
                f"the app learns {version} was reverted")

        # 7. microvisor 0.4.0 and app 0.5.7 (which confirms itself) on trial
        # together: the app is not confirmed before the microvisor. A reset
        # before MV_TRIAL_MS reverts both; run through, the microvisor is
        # confirmed first, then the app.
        def stage_both():
            stage(flash, "microvisor", 0, bundle("microvisor", mv_elf, "0.4.0"),
                  version_of("0.4.0"))
            stage(flash, "app", 1, bundle("app", app_elf, "0.5.7", "--trial", "3600"),
                  version_of("0.5.7"))
        stage_both()
        run = boot(beat(4), timeout=30)  # about 1 s: stopped well before MV_TRIAL_MS
        has(run, rf"^{APP}trial: mvConfirmApplicationUpdate: OKAY", "0.5.7 asks to be confirmed")
        has(run, r"^\[mv\] app 0\.5\.7 passed its trial \(the application confirmed it\); "
            r"confirmed once the microvisor is", "the confirmation waits for the microvisor")
        check.that(not run.matching(r"^\[mv\] app 0\.5\.7 confirmed"),
                   "no CONFIRM while the microvisor is on trial")
        run = boot(beat(1), timeout=30)
        has(run, r"^\[boot\] microvisor trial in slot A reset before it was confirmed: "
            r"rejected, reverting", "the reset reverts microvisor 0.4.0")
        has(run, r"^\[mv\] app 0\.4\.7 loaded from slot A", "and app 0.5.7 with it")
        has(run, rf"^{APP}trial: start: app 2 00040007 slot 0 rejected 00050007,",
            "the app learns 0.5.7 was reverted")
        stage_both()
        run = boot(beat(26), timeout=30)  # MV_TRIAL_MS 5 s
        mv_at = [i for i, line in enumerate(run.lines)
                 if re.search(r"^\[mv\] microvisor 0\.4\.0 confirmed", line)]
        app_at = [i for i, line in enumerate(run.lines)
                  if re.search(r"^\[mv\] app 0\.5\.7 confirmed \(the application confirmed "
                               r"it\)", line)]
        check.that(bool(mv_at) and bool(app_at) and app_at[0] > mv_at[0],
                   "run through: the microvisor is confirmed, then the app")
    print(f"trial: {time.monotonic() - start:.1f} s")
    return check.done(last)


if __name__ == "__main__":
    sys.exit(main())
