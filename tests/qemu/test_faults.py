#!/usr/bin/env python3
"""Every application fault class, one per run of the `faults` test app:
the microvisor records the right kind, stops the app (unwinding active NS
handlers, nested ones included), restarts it with a back-off that doubles
from 10 ms up to the 2 s cap, and the app reads APPLICATIONCRASH, finds its
interrupts (TIMER0, SysTick_NS) and mvServerLog working again. exit() ends
the sequence: a requested restart, no back-off, wake reason COLDBOOT."""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import restarts  # noqa: E402

EXPECTED = [
    ("udf", "UsageFault"),                  # undefined instruction
    ("svc-masked", "HardFault"),            # SVC escalated: no other cause
    ("exec-invalid", "MemManage"),          # fetch from execute-never space
    ("unpriv-ppb", "BusFault"),             # unprivileged SCS access
    ("unpriv-ppb-masked", "BusFault"),      # same, PRIMASK_NS set (escalates)
    ("mpc-alias", "SecureFault"),           # SSRAM2 NS alias: the SAU says Secure
    ("div0", "UsageFault"),                 # CCR.DIV_0_TRP
    ("unaligned-ldrd", "UsageFault"),
    ("unaligned-ldm", "UsageFault"),
    ("invalid-state", "UsageFault"),        # BX to an even address
    ("secure-ram", "SecureFault"),
    ("stack-overflow", "stack overflow"),   # MSPLIM_NS -> STKOF
    ("fault-in-irq", "SecureFault"),        # in TIMER0's handler
    ("nested2", "UsageFault"),              # TIMER0 -> IRQ80 (faults)
    ("nested3", "UsageFault"),              # SVCall -> TIMER0 -> IRQ80 (faults)
    ("exit", None),                         # exit(0): restart requested
]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    harness.common_args(p)
    a = p.parse_args()
    app = os.path.join(a.apps, "faults", "faults.elf")
    with tempfile.TemporaryDirectory() as tmp:
        run = harness.boot(a.keel, a.fw, app, timeout=90,
                           flash=os.path.join(tmp, "flash.img"))
    check = harness.Check("qemu_faults")
    check.that(run.status == 0, f"app finished with 0 failures (status {run.status})")
    fails = run.matching(rf"^{harness.APP}FAIL:")
    check.that(not fails, f"no app check failed {fails[:3]}")
    check.that(not run.matching(r"MICROVISOR CRASH|previous run ended|unexpected secure"),
               "the microvisor itself never crashed")
    check.that(len(run.matching(r"^\[mv\] Keel microvisor")) == 1, "no device reset")

    steps = restarts.parse(run.lines)
    seq = restarts.check_steps(check, steps, EXPECTED)
    crashes = [s for s in seq if s[0] != "exit"]
    restarts.check_growth(check, crashes)
    check.that(restarts.RESTART_MAX_MS in [m for _, m, _ in crashes],
               "the back-off reached its cap")
    print("back-off sequence (ms): " + ", ".join(f"{n}={m}" for n, m, _ in seq))
    print("measured (ms): " + ", ".join(f"{n}={d / 1000:.1f}" for n, _, d in seq if d))

    # mvServerLog works in every run, and after the last one.
    runs = run.matching(r"^\[app\] faults: run \d+ wake \d+$")
    check.that(len(runs) == len(EXPECTED) + 1,
               f"a log line from every run ({len(runs)} of {len(EXPECTED) + 1})")
    check.that(bool(run.matching(r"^\[app\] faults: all \d+ steps done, 0 earlier failures")),
               "the last run's log line arrived")
    irq_ok = run.matching(rf"^{harness.APP}PASS: (TIMER0|SysTick_NS) interrupts arrive")
    check.that(len(irq_ok) == 2 * (len(EXPECTED) + 1),
               f"TIMER0 and SysTick_NS work in every run ({len(irq_ok)})")
    return check.done(run)


if __name__ == "__main__":
    sys.exit(main())
