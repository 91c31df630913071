#!/usr/bin/env python3
"""Exception-level attacks (tests/qemu/apps/excattack): forged exception
returns from three contexts and twelve EXC_RETURN values, secure frames
abandoned at veneer exits from Thread and Handler mode (500 each), eight
handlers nested at veneer edges (properly, then abandoned), a fast
interrupt that abandons the deferred work it pre-empted. The application
may be stopped and restarted; the microvisor must never crash, the device
never reset, the network stay up and the secure stack stay bounded."""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hostile_invariant  # noqa: E402

NSTEPS = 3 * 12 + 8


def main():
    p = argparse.ArgumentParser(description=__doc__)
    harness.common_args(p)
    a = p.parse_args()
    app = os.path.join(a.apps, "excattack", "excattack.elf")
    with tempfile.TemporaryDirectory() as tmp, hostile_invariant.Network(tmp) as net:
        run = harness.boot(a.keel, a.fw, None, timeout=150, flash=os.path.join(tmp, "flash.img"),
                           run_args=[app, "--"] + net.qemu_args)
    c = harness.Check("qemu_excattack")
    c.that(run.status == 0, f"exit status {run.status} == 0 (failures over all runs)")
    fails = run.matching(rf"^{harness.APP}FAIL: ")
    c.that(not fails, "no FAIL line" + (f" (first: {fails[0]})" if fails else ""))
    steps = {int(m.split()[3]) for m in run.matching(rf"^{harness.APP}excattack: step \d+ ")}
    c.that(steps == set(range(NSTEPS)), f"all {NSTEPS} steps ran ({len(steps)})")
    hostile_invariant.check(c, run, net)
    forged = [x for x in run.lines if "forged" in x and "MICROVISOR CRASH" in x or
              "(forged)" in x or "ROM forged" in x]
    c.that(len(forged) == 3 and all(x.startswith("app| ") for x in forged),
           f"the application's look-alike microvisor lines are shown tagged ({forged})")
    c.that(not run.matching(r"^\[mv\] Z$") and bool(run.matching(r"^\.\.\. \[mv\] Z$")),
           "the tail of a 1 KiB application log line is shown continued, not at the margin")
    c.that(bool(run.matching(r"app stop deferred: no handler above deferred work")),
           "abandoned deferred work was resumed by the stop")
    c.that(bool(run.matching(r"app stopped: deferred work abandoned")),
           "the application that abandoned deferred work was stopped")
    c.that(bool(run.matching(r"^\[app\] excattack: microvisor still serving after every attack$")),
           "a log line sent after the last attack arrived")
    stopped = run.matching(r"^\[mv\] app stopped: ")
    print(f"{len(stopped)} application stops, {len(run.matching('landed in Thread mode'))} "
          "forged returns accepted by the hardware")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
