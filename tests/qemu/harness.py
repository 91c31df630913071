#!/usr/bin/env python3
"""QEMU test harness: boots the emulated device through `keel run`, captures
both consoles (microvisor UART0 and application UART1, which keel run
relays onto stdout as whole lines in the device's order, each application
line tagged "app| ": match application lines with APP, e.g.
rf"^{APP}PASS: "; a line not so tagged came from the microvisor), enforces a timeout, and returns the exit status the guest gave
through semihosting (or 124 on timeout).

Used as a library by the scenario scripts and as a command:

  harness.py --keel KEEL --fw FWDIR --app APP.elf [--timeout S]
             [--expect-exit N] [--expect REGEX]... [--reject REGEX]...
             [--expect-count REGEX N]... [--until REGEX] [-- keel-run-args]

--until stops the device as soon as REGEX has been seen (exit status then
counts as 0). Every --expect must match some output line, every --reject
none; --expect-count REGEX N needs at least N matching lines.
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time


# Prefix (a regex) of every application-UART line (cli/console_relay.h).
APP = r"app\| "


class Run:
    """The outcome of one boot: exit status, output lines, wall time."""

    def __init__(self, status, lines, seconds, timed_out):
        self.status = status
        self.lines = lines
        self.seconds = seconds
        self.timed_out = timed_out

    def matching(self, pattern):
        rx = re.compile(pattern)
        return [line for line in self.lines if rx.search(line)]

    def text(self):
        return "\n".join(self.lines)


def boot(keel, fw, app=None, timeout=30, until=None, flash=None, run_args=(),
         echo=False):
    """Boots the device once and returns a Run. `until` (regex) ends the run
    early once seen; `flash` keeps the flash image across boots."""
    cmd = [keel, "run", "--fw", fw, "--timeout", str(int(timeout) + 5)]
    if flash:
        cmd += ["--flash", flash]
    cmd += list(run_args)
    if app:
        cmd.append(app)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    until_rx = re.compile(until) if until else None
    lines, buf, seen_until, timed_out = [], b"", False, False
    fd = proc.stdout.fileno()
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        *complete, buf = buf.split(b"\n")
        for raw in complete:
            line = raw.decode("utf-8", "replace").replace("\r", "")
            lines.append(line)
            if echo:
                print(line, flush=True)
            if until_rx and until_rx.search(line):
                seen_until = True
        if seen_until:
            break
    if buf:
        lines.append(buf.decode("utf-8", "replace").replace("\r", ""))
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    status = proc.wait()
    if seen_until:
        status = 0
    elif timed_out:
        status = 124
    return Run(status, lines, time.monotonic() - start, timed_out and not seen_until)


class Check:
    """Collects named assertions and prints a verdict per line."""

    def __init__(self, name):
        self.name = name
        self.failures = 0

    def that(self, ok, what):
        print(f"{'PASS' if ok else 'FAIL'}: {what}", flush=True)
        if not ok:
            self.failures += 1
        return ok

    def done(self, run=None):
        if self.failures and run is not None:
            print(f"--- device output ({len(run.lines)} lines) ---")
            print(run.text())
        print(f"{self.name}: {self.failures} failure(s)")
        return 1 if self.failures else 0


def common_args(parser):
    parser.add_argument("--keel", required=True, help="path of the keel tool")
    parser.add_argument("--fw", required=True, help="firmware build directory")
    parser.add_argument("--apps", help="directory of the test applications")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(p)
    p.add_argument("--app", required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--expect-exit", type=int, default=None)
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--expect-count", nargs=2, action="append", default=[])
    p.add_argument("--until")
    p.add_argument("run_args", nargs="*")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = boot(a.keel, a.fw, a.app, a.timeout, a.until,
                   os.path.join(tmp, "flash.img"), a.run_args)
    check = Check(os.path.basename(a.app))
    if a.expect_exit is not None:
        check.that(run.status == a.expect_exit,
                   f"exit status {run.status} == {a.expect_exit}")
    elif a.until:
        check.that(not run.timed_out, f"saw /{a.until}/ before the timeout")
    for rx in a.expect:
        check.that(bool(run.matching(rx)), f"output has /{rx}/")
    for rx in a.reject:
        hits = run.matching(rx)
        check.that(not hits, f"output has no /{rx}/" + (f" (got: {hits[0]})" if hits else ""))
    for rx, n in a.expect_count:
        got = len(run.matching(rx))
        check.that(got >= int(n), f"/{rx}/ seen {got} >= {n} times")
    return check.done(run)


if __name__ == "__main__":
    sys.exit(main())
