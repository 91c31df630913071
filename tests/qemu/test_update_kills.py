#!/usr/bin/env python3
"""Power cuts during updates over the update port: QEMU is SIGKILLed at a
random moment, again and again (at least 200 times), while `keel update`
streams app and microvisor updates into the device, and restarted on the
same flash.img each time.

Every restart must boot a valid signed image: each microvisor and app the
console says it booted is one of the signed (version, counter) pairs of
this test, its counter is not below the anti-rollback floor the device's
journal held before that run, and no run ends with "no valid microvisor"
or "no runnable application". Each update resumes where the flash stopped
and must eventually complete and boot (on trial); the test then moves on
to the next target (every fourth a microvisor) and counts completions.

Back to back: when the next target is the other component, about half
the runs send it the moment the first update is activated, during the
first one's trial (docs/updates.md "Two components": the device
activates it and reboots into it once that trial is over), and the kill
then lands anywhere in the second update, the deferred reboot or the
second trial. The test ends with an uninterrupted back-to-back pair (a
microvisor and an app), which must leave both confirmed at their new
versions with nothing reverted.

The kill moments are random but reproducible: the seed is printed
(KEEL_KILL_SEED=N to replay one). Some kills land during boot, most while
the image streams, some during verify, activation, the reboot into the
trial and the trial's first boot.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

import harness
import update_util as uu

APP_SIZE = 12 * 1024      # 2 flash pages: resumes at a page frontier matter
KILL_WINDOW_S = 2.2       # a kill while streaming lands in [0, this) after the start
BOOT_KILL_SHARE = 0.12    # this share of kills lands before the update starts
BACK_TO_BACK_SHARE = 0.5  # of completed first updates, followed at once by the other kind
SECOND_WINDOW_S = 9.0     # the second update, its deferred reboot and trial: kill in [0, this)
APP_TRIAL_S = 3           # the apps' health time (keel bundle --trial)


# Where the device was when the power went, from the last event its
# console shows (each later stage's line implies the earlier ones).
WHERE = ("before the port was up", "port up, no download yet", "streaming",
         "verified, not activated", "activated, rebooting", "booting the trial")


def where_killed(lines):
    at = WHERE[0]
    for line in lines:
        if "[upd] update port ready" in line:
            at = WHERE[1] if at in WHERE[:2] else WHERE[5]
        elif line.startswith("[upd] begin "):
            at = WHERE[2]
        elif line.startswith("[upd] verified "):
            at = WHERE[3]
        elif line.startswith("[upd] activated "):
            at = WHERE[4]
        elif line.startswith("[boot] Keel boot ROM") and at == WHERE[4]:
            at = WHERE[5]
    return at


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--kills", type=int, default=200)
    p.add_argument("--seed", type=int,
                   default=int(os.environ.get("KEEL_KILL_SEED", random.randrange(1 << 30))))
    a = p.parse_args()
    print(f"seed {a.seed} (KEEL_KILL_SEED={a.seed} replays this run)", flush=True)
    rng = random.Random(a.seed)
    check = harness.Check("update_kills")
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    mv_elf = os.path.join(a.fw, "microvisor", "microvisor.elf")
    key = os.path.join(a.fw, "keel-dev-key.pem")
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        j = lambda name: os.path.join(tmp, name)
        flash, sock = j("flash.img"), j("port")
        first = harness.boot(a.keel, a.fw, hello, timeout=30, flash=flash,
                             until=r"\[upd\] update port ready")
        if not check.that(not first.timed_out, "the provisioned device boots"):
            return check.done(first)

        # What the device may ever boot: keel run installed 0.1.0 / counter 1,
        # then the targets, made as the test reaches them: every fourth a
        # microvisor, counters never decreasing, so a target confirmed by
        # the health rules (which raises the floor) never turns a later one
        # into a rollback.
        signed = {"microvisor": {("0.1.0", 1)}, "app": {("0.1.0", 1)}}
        made = {}

        def target_of(i):
            if i not in made:
                kind = "microvisor" if i % 4 == 1 else "app"
                counter = 1 + i // 4
                version = f"0.1.{i + 1}" if kind == "microvisor" else f"0.{i + 2}.0"
                out = j(f"{kind}-{version}.kb")
                src = mv_elf
                if kind == "app":
                    src = j(f"app-{version}.img")
                    uu.padded_app_img(a.keel, hello, src, APP_SIZE, i)
                extra = ("--trial", str(APP_TRIAL_S)) if kind == "app" else ()
                uu.bundle(a.keel, key, kind, version, counter, src, out, extra)
                signed[kind].add((version, counter))
                made[i] = (kind, version, out)
            return made[i]

        kills, runs, target = 0, 0, 0
        completed = {"microvisor": 0, "app": 0}
        phases = {"boot": 0, "stream": 0, "trial": 0, "back to back": 0}
        last = {k: 0 for k in WHERE}
        bad_boot = None

        def judge(lines, floor):
            nonlocal bad_boot, target
            ok = True
            for comp, version, counter, slot, trial in uu.boots(lines):
                if (version, counter) not in signed[comp] or counter < floor[uu.COMP[comp]]:
                    ok = False
                    bad_boot = f"{comp} {version} counter {counter} slot {slot} " \
                               f"(floor {floor[uu.COMP[comp]]})"
                kind, want, _ = target_of(target)
                if trial and comp == kind and version == want:
                    completed[kind] += 1
                    target += 1
            for line in lines:
                if "no valid microvisor" in line or "no runnable application" in line or \
                        "MICROVISOR CRASH" in line:
                    ok = False
                    bad_boot = line
            return ok

        all_ok = True
        while kills < a.kills:
            floor = uu.floors(flash)
            kind, version, bundle = target_of(target)
            dev = uu.Device(a.keel, a.fw, flash, sock)
            runs += 1
            upd = None
            if rng.random() < BOOT_KILL_SHARE:
                time.sleep(rng.uniform(0.0, 0.15))
                phase = "boot"
            else:
                phase = "stream"
                if dev.wait_for(r"\[upd\] update port ready", 15) is None:
                    lines = dev.kill()
                    check.that(False, f"run {runs}: the device came up")
                    print("\n".join(lines))
                    break
                upd = subprocess.Popen([a.keel, "update", "--uart", sock, "--quiet",
                                        "--timeout", "2", bundle],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + rng.uniform(0.0, KILL_WINDOW_S)
                while time.monotonic() < deadline and upd.poll() is None:
                    time.sleep(0.005)
                if upd.poll() == 0 and target_of(target + 1)[0] != kind and \
                        rng.random() < BACK_TO_BACK_SHARE:
                    # the other component at once, during the first one's trial
                    phase = "back to back"
                    act = dev.wait_for(r"^\[upd\] .*activated", 5)
                    boot = None if act is None else \
                        dev.wait_for(r"^\[boot\] Keel boot ROM", 15, act)
                    up = None if boot is None else \
                        dev.wait_for(r"\[upd\] update port ready", 15, boot)
                    if up is not None:
                        upd = subprocess.Popen([a.keel, "update", "--uart", sock, "--quiet",
                                                "--timeout", "2", target_of(target + 1)[2]],
                                               stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL)
                        time.sleep(rng.uniform(0.0, SECOND_WINDOW_S))
                elif upd.poll() == 0:
                    # complete: kill somewhere in the reboot or the trial's first boot
                    phase = "trial"
                    time.sleep(rng.uniform(0.0, 0.3))
            lines = dev.kill()
            kills += 1
            phases[phase] += 1
            last[where_killed(lines)] += 1
            if upd is not None:
                try:
                    upd.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    upd.kill()
                    upd.wait()
            if not judge(lines, floor):
                all_ok = False
                check.that(False, f"kill {kills} ({phase}, {kind} {version}): "
                                  f"booted a valid image: {bad_boot}")
                print("\n".join(lines))
                break

        # the last targets, uninterrupted: single ones until the next two are
        # a microvisor and an app; those two back to back, which must end
        # with both confirmed and nothing reverted
        final_ok = all_ok
        if final_ok:
            # settle: a kill may have left an activation whose trial boots
            # now (a deferred reboot cut short); let it run its health rule
            floor = uu.floors(flash)
            dev = uu.Device(a.keel, a.fw, flash, sock)
            dev.wait_for(r"\[upd\] update port ready", 20)
            time.sleep(8)
            final_ok = judge(dev.kill(), floor)
        while final_ok:
            kind, version, bundle = target_of(target)
            pair = target_of(target + 1)[0] != kind
            floor = uu.floors(flash)
            dev = uu.Device(a.keel, a.fw, flash, sock, timeout=120)
            start_target, ok, pos = target, True, 0
            for step in range(2 if pair else 1):
                kind, version, bundle = target_of(start_target + step)
                up = dev.wait_for(r"\[upd\] update port ready", 20, pos)
                ok = ok and up is not None
                try:
                    rc = subprocess.run([a.keel, "update", "--uart", sock, "--quiet", bundle],
                                        stdout=subprocess.DEVNULL, timeout=120).returncode
                except subprocess.TimeoutExpired:
                    rc = 124
                rx = (r"^\[boot\] slot [AB]: microvisor " if kind == "microvisor"
                      else r"^\[mv\] app ") + version.replace(".", r"\.") + r".*trial"
                at = dev.wait_for(rx, 30, up or 0)
                ok = ok and rc == 0 and at is not None
                pos = at or 0
            first_act = dev.wait_for(r"^\[upd\] activated", 1) or 0
            if pair:
                confirmed = [dev.wait_for(r"^\[mv\] (app|microvisor) " +
                                          target_of(start_target + k)[1].replace(".", r"\.") +
                                          r" confirmed", 40, first_act) for k in range(2)]
                ok = ok and None not in confirmed
            lines = dev.kill()
            ok = judge(lines, floor) and ok
            if pair:
                # after the first activation: nothing reverted, neither of the
                # pair rejected (an older rejection is still reported at each
                # boot until the next trial of that component: not this pair's)
                pair_v = {target_of(start_target + k)[1] for k in range(2)}
                reverted = [ln for ln in lines[first_act:] if "reverting" in ln or
                            ("rejected" in ln and any(f" {v} " in ln for v in pair_v))]
                ok = ok and not reverted
            final_ok = ok
            check.that(ok, f"the last update{'s' if pair else ''} "
                           f"({', '.join(' '.join(target_of(start_target + k)[:2]) for k in range(2 if pair else 1))}) "
                           f"{'back to back: both confirmed, nothing reverted' if pair else 'completes and boots on trial'}")
            if not ok:
                print("\n".join(lines))
            if pair:
                break

        took = time.monotonic() - t_start
        print(f"kills {kills} (boot {phases['boot']}, streaming/verify/activate "
              f"{phases['stream']}, reboot/trial {phases['trial']}, in a back-to-back second "
              f"update {phases['back to back']}), QEMU runs {runs + 1}, "
              f"updates completed: app {completed['app']}, microvisor "
              f"{completed['microvisor']}; {took:.0f} s", flush=True)
        print("where the kills landed: " + ", ".join(f"{k} {v}" for k, v in last.items()))
        check.that(all_ok and kills >= a.kills, f"{kills} kills, every restart booted a "
                                                f"valid signed image")
        check.that(completed["app"] >= 2 and completed["microvisor"] >= 1,
                   "app and microvisor updates completed and booted on trial "
                   "despite the kills")
    return check.done()


if __name__ == "__main__":
    sys.exit(main())
