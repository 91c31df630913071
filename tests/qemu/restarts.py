"""Reads the application stop/restart story out of a boot's output, for the
scenario scripts that crash or hang an application on purpose
(test_faults.py, test_hangs.py).

The test applications print "provoking <step>" on their UART just before
each provocation, and at the end "delay <step> <us> us wake <w> ..." with
the time from the provocation to their next main() (mvGetMicroseconds
stamps kept in .noinit). The microvisor prints, per stop:
  [mv] app crash: <kind> pc=... (or "(no frame stacked)")  (faults, hangs)
  [mv] app stopped: <kind> after N ms; restart in M ms
  [mv] restarting app (wake reason W, ...)
"""
import re

import harness

# microvisor/core/mv_config.h
RESTART_MIN_MS = 10
RESTART_MAX_MS = 2000
RESTART_RESET_MS = 10000

PROVOKE_RX = re.compile(harness.APP + r"provoking (\S+)$")
CRASH_RX = re.compile(r"^\[mv\] app crash: (.+?) (?:pc=[0-9a-f]{8}|\(no frame stacked\))")
STOP_RX = re.compile(r"^\[mv\] app stopped: (.+) after (\d+) ms; restart in (\d+) ms$")
RESTART_RX = re.compile(r"^\[mv\] restarting app \(wake reason (\d+)")
DELAY_RX = re.compile(harness.APP + r"delay (\S+) (\d+) us wake (\d+)")


def backoff_next_ms(prev_ms, ran_ms):
    """microvisor/core/backoff.h, restated."""
    if prev_ms == 0 or ran_ms >= RESTART_RESET_MS:
        return RESTART_MIN_MS
    if prev_ms >= RESTART_MAX_MS // 2:
        return RESTART_MAX_MS
    return max(prev_ms * 2, RESTART_MIN_MS)


class Step:
    def __init__(self, name):
        self.name = name
        self.crash_kinds = []   # "[mv] app crash:" kinds
        self.stops = []         # (kind, ran_ms, restart_in_ms)
        self.restart_wakes = []
        self.delay_us = None    # measured by the app
        self.app_wake = None    # what mvGetWakeReason said after it

    def __repr__(self):
        return (f"Step({self.name}: crash={self.crash_kinds} stops={self.stops} "
                f"wakes={self.restart_wakes} delay_us={self.delay_us})")


def parse(lines):
    """Steps in the order provoked; stops seen before the first provocation
    or after a step belong to that step."""
    steps, current, by_name = [], None, {}
    for line in lines:
        m = PROVOKE_RX.match(line)
        if m:
            current = Step(m.group(1))
            steps.append(current)
            by_name[current.name] = current
            continue
        m = DELAY_RX.match(line)
        if m and m.group(1) in by_name:
            by_name[m.group(1)].delay_us = int(m.group(2))
            by_name[m.group(1)].app_wake = int(m.group(3))
            continue
        if current is None:
            continue
        m = CRASH_RX.match(line)
        if m:
            current.crash_kinds.append(m.group(1))
            continue
        m = STOP_RX.match(line)
        if m:
            current.stops.append((m.group(1), int(m.group(2)), int(m.group(3))))
            continue
        m = RESTART_RX.match(line)
        if m:
            current.restart_wakes.append(int(m.group(1)))
    return steps


def check_steps(check, steps, expected):
    """expected: [(step name, kind or None for a requested restart)], in
    order. Checks each step's kind, one stop and one restart with the right
    wake reason, the back-off against the rule (from the logged run
    lengths), and that the app measured at least that long. Returns the
    list of (name, restart_in_ms, delay_us)."""
    names = [s.name for s in steps]
    check.that(names[:len(expected)] == [n for n, _ in expected],
               f"steps provoked in order: {names}")
    prev_ms, out = 0, []
    for step, (name, kind) in zip(steps, expected):
        if step.name != name:
            break
        if kind is None:
            check.that(not step.crash_kinds, f"{name}: no crash record ({step.crash_kinds})")
        else:
            check.that(step.crash_kinds == [kind],
                       f"{name}: crash recorded as '{kind}' ({step.crash_kinds})")
        if not check.that(len(step.stops) == 1, f"{name}: stopped once ({step.stops})"):
            continue
        stop_kind, ran_ms, restart_ms = step.stops[0]
        want_kind = kind if kind is not None else "restart requested"
        check.that(stop_kind == want_kind, f"{name}: stop reason '{stop_kind}'")
        if kind is None:
            want_ms, prev_ms = 0, 0
        else:
            want_ms = prev_ms = backoff_next_ms(prev_ms, ran_ms)
        check.that(restart_ms == want_ms,
                   f"{name}: after a {ran_ms} ms run, restart in {restart_ms} ms "
                   f"(rule: {want_ms})")
        want_wake = 0 if kind is None else 8
        check.that(step.restart_wakes == [want_wake],
                   f"{name}: restarted once, wake reason {step.restart_wakes} "
                   f"(want [{want_wake}])")
        check.that(step.app_wake == want_wake,
                   f"{name}: the app read wake reason {step.app_wake}")
        # Loose bounds only: at least the back-off, and not absurdly more
        # (a loaded host stalls the emulator's clock along with it).
        ok = step.delay_us is not None and \
            restart_ms * 1000 <= step.delay_us <= restart_ms * 1000 + 5000000
        check.that(ok, f"{name}: app restarted {step.delay_us} us after the "
                       f"provocation (back-off {restart_ms} ms)")
        out.append((name, restart_ms, step.delay_us))
    return out


def check_growth(check, seq):
    """The back-off of consecutive quick crashes never shrinks, starts at
    the minimum and stays within the cap."""
    ms = [m for _, m, _ in seq]
    check.that(bool(ms) and ms[0] == RESTART_MIN_MS, f"first back-off {ms[:1]} ms")
    check.that(all(b >= a for a, b in zip(ms, ms[1:])), f"back-off non-decreasing: {ms}")
    check.that(all(m <= RESTART_MAX_MS for m in ms), "back-off within the cap")
