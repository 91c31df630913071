"""The invariant every hostile test asserts (issue 9): whatever the
application does, the microvisor never resets and never stops, its network
stays up, and its secure stack's high-water mark stays below its size.

check(c, run) adds the assertions to a harness.Check; peak(run) is the
highest secure-stack mark the microvisor reported ("[mv] secure stack peak
N of M bytes", printed at every application restart)."""
import re

PEAK_RX = re.compile(r"^\[mv\] secure stack peak (\d+) of (\d+) bytes")
NIC = ["-nic", "user,model=lan9118,restrict=on"]


def peak(run):
    """(highest mark, stack size), or (None, None) if never reported."""
    marks = [(int(m.group(1)), int(m.group(2)))
             for m in (PEAK_RX.match(line) for line in run.lines) if m]
    if not marks:
        return None, None
    return max(p for p, _ in marks), marks[0][1]


def check(c, run, network=True):
    # Anchored: an application line saying the same is tagged (keel run).
    bad = run.matching(r"^(\[mv\] (MICROVISOR CRASH|previous run ended in a microvisor crash|"
                       r"unexpected secure exception)|qemu: fatal)")
    c.that(not bad, "zero microvisor crashes" + (f" (got: {bad[0]})" if bad else ""))
    boots = len(run.matching(r"^\[boot\] Keel boot ROM"))
    c.that(boots == 1, f"zero device resets ({boots} boot)")
    leaked = run.matching(r"secure context beneath: [1-9]")
    c.that(not leaked, "every restart had no secure context beneath it"
           + (f" (got: {leaked[0]})" if leaked else ""))
    top, size = peak(run)
    if top is not None:
        c.that(top < size, f"secure stack peak {top} bytes below its size {size}")
        print(f"BENCH secure_stack_peak {top} bytes (of {size})", flush=True)
    if network:
        bound = run.matching(r"^\[net\] DHCP bound 10\.0\.2\.15 ")
        c.that(len(bound) == 1, f"the DHCP lease was taken once and held ({len(bound)} bind)")
    return top
