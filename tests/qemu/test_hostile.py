#!/usr/bin/env python3
"""The hostile application (tests/qemu/apps/hostile): every attack is refused
as docs/syscalls.md specifies and the microvisor keeps serving.

Checks: the app's own verdicts (no FAIL line, exit status 0 = no failures
across all its restarts); the attacks through the calls, counted by class;
for each crash step, the fault kind the microvisor logs for it; one boot
only (no device reset, no microvisor crash); and an mvServerLog message
sent after the last attack arrives as "[app] ...".
"""
import argparse
import collections
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import APP, Check, boot, common_args  # noqa: E402

# Crash step (as main.c names it) -> the "[mv] app crash: <kind>" it must
# produce; None: no crash (a clean mvRestart); a tuple: either outcome.
# With the SAU deny-by-default every address outside the app's regions is
# Secure for NS code, so data accesses and branches there are SecureFaults,
# including the NS aliases (boot ROM at 0, SSRAM2, ethernet, UART0,
# TIMER1, the NS privilege control block, the FPGAIO). A vector fetch from
# secure memory escalates to HardFault (HFSR.VECTTBL).
EXPECTED = {
    "load secure RAM": "SecureFault",
    "store secure RAM": "SecureFault",
    "load secure code": "SecureFault",
    "load NSC veneer": "SecureFault",
    "load boot ROM": "SecureFault",
    "load NULL (NS alias of boot ROM)": "SecureFault",
    "store NS alias of microvisor code": "SecureFault",
    "load flash": "SecureFault",
    "store flash": "SecureFault",
    "load ethernet NS alias": "SecureFault",
    "load ethernet S alias": "SecureFault",
    "store UART0 NS alias": "SecureFault",
    "load UART0 S alias": "SecureFault",
    "store UART2 (update port) NS alias": "SecureFault",
    "load UART2 (update port) S alias": "SecureFault",
    "store TIMER1": "SecureFault",
    "store secure watchdog": "SecureFault",
    "load security controller": "SecureFault",
    "store security controller PPC": "SecureFault",
    "load NS privilege control": "SecureFault",
    "store MPC": "SecureFault",
    "load SSRAM2 NS alias": "SecureFault",
    "store FPGAIO LEDs directly": "SecureFault",
    "jump veneer+4": "SecureFault",
    "jump secure code": "SecureFault",
    "jump unused NSC slot": "SecureFault",
    "jump NS alias of microvisor code": "SecureFault",
    "wild SP in secure RAM": "SecureFault",
    "VTOR_NS in secure RAM then IRQ": "HardFault",
    "stubs scribbled then crash": "SecureFault",
    # The faulting load runs in an NS handler: QEMU escalates it to a
    # HardFault, which the microvisor reports by its cause (SFSR).
    "IRQ pended by a call crashes in the veneer exit": "SecureFault",
    "stubs scribbled then mvRestart": None,
    "mvRestart then a crashing IRQ while parked": (None, "SecureFault"),
}
REPEATS = {"IRQ pended by a call crashes in the veneer exit": 64}

STEP_RX = re.compile(APP + r"hostile: step (\d+) (.+)$")
CRASH_RX = re.compile(r"^\[mv\] app crash: (.+?) (?:pc=|\(no frame stacked\))")


def crashes_per_step(lines):
    """{step name: [fault kinds logged until the next step]}"""
    out = collections.OrderedDict()
    current = None
    for line in lines:
        m = STEP_RX.match(line)
        if m:
            current = m.group(2)
            out[current] = []
            continue
        if line.startswith("app| hostile: ") and current is not None and "crash steps" in line:
            current = None
        m = CRASH_RX.match(line)
        if m and current is not None:
            out[current].append(m.group(1))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    common_args(p)
    a = p.parse_args()
    app = os.path.join(a.apps, "hostile", "hostile.elf")
    with tempfile.TemporaryDirectory() as tmp:
        run = boot(a.keel, a.fw, app, timeout=90, flash=os.path.join(tmp, "flash.img"))
    c = Check("hostile")

    c.that(not run.timed_out, f"finished in {run.seconds:.1f} s (limit 90 s)")
    c.that(run.status == 0, f"exit status {run.status} == 0 (failures summed over all runs)")
    fails = run.matching(rf"^{APP}FAIL: ")
    c.that(not fails, "no FAIL line" + (f" (first: {fails[0]})" if fails else ""))
    c.that(len(run.matching(r"^\[boot\] Keel boot ROM")) == 1,
           "exactly one boot: no device reset (AIRCR from NS, watchdog, microvisor crash)")
    bad = run.matching(r"MICROVISOR CRASH|previous run ended in a microvisor crash|Lockup")
    c.that(not bad, "no microvisor crash" + (f" ({bad[0]})" if bad else ""))
    c.that(bool(run.matching(rf"^{APP}hostile: api attacks done$")), "the first run finished its call attacks")

    # The call attacks, by class.
    classes = collections.Counter()
    for line in run.matching(rf"^{APP}PASS: attack "):
        m = re.search(r"\[([^\]]+)\]", line)
        classes[m.group(1) if m else "?"] += 1
    total = sum(classes.values())
    for cls, n in sorted(classes.items()):
        print(f"  {n:4d} refused attacks [{cls}]")
    c.that(total >= 400, f"{total} call attacks refused as documented (>= 400)")
    for cls in ("secure RAM", "secure code", "NSC veneers", "NS alias of secure code",
                "stubs page", "unmapped 0x60000000", "unmapped 0xF0000000", "peripheral UART1",
                "flash", "NULL", "straddles app RAM end", "wraps past 0xFFFFFFFF", "misaligned",
                "register", "handler mode", "bad enum", "bad handle", "irq", "size",
                "unimplemented", "vector table"):
        c.that(classes[cls] > 0, f"attack class [{cls}] exercised ({classes[cls]})")

    # The crash steps: each produced exactly the expected fault kind.
    seen = crashes_per_step(run.lines)
    c.that(list(seen) == list(EXPECTED),
           f"crash steps in order: {len(seen)} seen, {len(EXPECTED)} expected")
    for name, want in EXPECTED.items():
        got = seen.get(name)
        reps = REPEATS.get(name, 1)
        if got is None:
            c.that(False, f"step '{name}' ran")
            continue
        if isinstance(want, tuple):
            ok = len(got) <= 1 and (got[0] if got else None) in want
        elif want is None:
            ok = not got
        else:
            ok = got == [want] * reps
        c.that(ok, f"step '{name}': logged {got if len(got) < 4 else f'{len(got)} x {got[0]}'}"
                   f" (want {want}{f' x {reps}' if reps > 1 else ''})")
    wake8 = run.matching(rf"^{APP}PASS: step \d+ .*restarted with wake reason 8")
    crash_steps = sum(REPEATS.get(n, 1) for n, w in EXPECTED.items() if isinstance(w, str))
    c.that(len(wake8) >= crash_steps,
           f"{len(wake8)} restarts reported APPLICATIONCRASH to the app (>= {crash_steps})")

    # The microvisor still serves after the last attack.
    c.that(bool(run.matching(r"^\[app\] hostile: last attack done, microvisor still serving$")),
           "an mvServerLog message sent after the last attack arrived as [app]")
    c.that(bool(run.matching(r"^\[app\] hostile: spool kept$")),
           "a refused mvServerLoggingInit kept the spool working")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
