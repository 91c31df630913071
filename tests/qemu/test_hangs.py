#!/usr/bin/env python3
"""Hangs, one per run of the `hangs` test app: interrupts masked in Thread
mode (PRIMASK, BASEPRI), a high-priority NS handler that never returns, and
two interrupt floods (TIMER0 faster than its handler; a spare IRQ that
re-pends itself). Each is caught by the hold-off monitor more than 50 ms
(MV_HOLDOFF_MAX_MS) after deferred work became pending, named right, and
restarted with back-off; then a fault after a run longer than 10 s gets the
minimum back-off again, and the app returns from main (parked, its
interrupts still served, no stop)."""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import restarts  # noqa: E402

MASKED = "hang (interrupts masked too long)"
FLOODED = "hang (stuck in or flooded by interrupts)"
EXPECTED = [
    ("masked", MASKED),
    ("masked-basepri", MASKED),
    ("stuck-handler", FLOODED),
    ("flood-timer0", FLOODED),
    ("flood-spare", FLOODED),
    ("long-run", "UsageFault"),
    ("quick-again", "UsageFault"),
]
HANGS = 5
HOLDOFF_MS = 50
# Generous: the monitor acts on the first tick past 50 ms; a loaded host
# may stall the emulator, never hurry it.
HOLDOFF_SLACK_MS = 1000


def main():
    p = argparse.ArgumentParser(description=__doc__)
    harness.common_args(p)
    a = p.parse_args()
    app = os.path.join(a.apps, "hangs", "hangs.elf")
    with tempfile.TemporaryDirectory() as tmp:
        run = harness.boot(a.keel, a.fw, app, timeout=90,
                           flash=os.path.join(tmp, "flash.img"))
    check = harness.Check("qemu_hangs")
    check.that(run.status == 0, f"app finished with 0 failures (status {run.status})")
    fails = run.matching(rf"^{harness.APP}FAIL:")
    check.that(not fails, f"no app check failed {fails[:3]}")
    check.that(not run.matching(r"MICROVISOR CRASH|previous run ended|unexpected secure"),
               "the microvisor itself never crashed")

    steps = restarts.parse(run.lines)
    seq = restarts.check_steps(check, steps, EXPECTED)
    restarts.check_growth(check, seq[:HANGS])
    print("back-off sequence (ms): " + ", ".join(f"{n}={m}" for n, m, _ in seq))

    # Detection time: from deferred work becoming pending (the app stamps it,
    # then queues a log line with interrupts masked) to the stop, which is
    # the measured restart delay less the back-off.
    for name, restart_ms, delay_us in seq[:HANGS]:
        detect_ms = delay_us / 1000 - restart_ms
        check.that(HOLDOFF_MS <= detect_ms <= HOLDOFF_MS + HOLDOFF_SLACK_MS,
                   f"{name}: hold-off detected {detect_ms:.1f} ms after work was pending")
    for name in ("flood-timer0", "flood-spare"):
        m = run.matching(rf"^{harness.APP}delay {name} \d+ us wake \d+ irqs (\d+)")
        n = int(m[0].split()[-1]) if m else 0
        check.that(n >= 2, f"{name}: a flood, not one stuck handler ({n} entries)")

    # Back-off history is forgotten after a long run, and grows again.
    by = {n: (m, d) for n, m, d in seq}
    long_stop = [s for s in steps if s.name == "long-run"]
    if long_stop and long_stop[0].stops:
        check.that(long_stop[0].stops[0][1] >= restarts.RESTART_RESET_MS,
                   f"long-run ran {long_stop[0].stops[0][1]} ms")
    check.that(by.get("long-run", (None,))[0] == restarts.RESTART_MIN_MS,
               "after a long run: back to the minimum back-off")
    check.that(by.get("quick-again", (None,))[0] == 2 * restarts.RESTART_MIN_MS,
               "a quick crash after that doubles it again")
    check.that(len(run.matching(r"^\[app\] hangs: long run heartbeat$")) >= 9,
               "mvServerLog served the app through its long run")

    # Returning from main: no stop, interrupts still served, log still works.
    tail = run.lines[next((i for i, l in enumerate(run.lines)
                           if l == "app| provoking return-from-main"), len(run.lines)):]
    check.that(bool(tail), "the app returned from main")
    check.that(not [l for l in tail if restarts.STOP_RX.match(l)],
               "returning from main is not a stop")
    check.that("[app] hangs: TIMER0 still served after main returned" in tail,
               "after main returned: its interrupt handler ran and logged")
    runs = run.matching(r"^\[app\] hangs: run \d+ wake \d+$")
    check.that(len(runs) == len(EXPECTED) + 1,
               f"a log line from every run ({len(runs)} of {len(EXPECTED) + 1})")
    return check.done(run)


if __name__ == "__main__":
    sys.exit(main())
