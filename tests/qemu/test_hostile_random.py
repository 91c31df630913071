#!/usr/bin/env python3
"""The randomized hostile application (tests/qemu/apps/hostile_random) for
--seconds (60 in make test, 1800 under make soak). The seed is random and
printed; KEEL_HOSTILE_SEED=<n> replays a run (the sequence of actions is
the seed's; interrupt timing is the host's). The seed goes into a copy of
the image, after the marker the application keeps for it.

Asserted: the application kept running (and being restarted) to the end,
no check of its own failed, and the invariant of every hostile test
(hostile_invariant.py): zero microvisor crashes and device resets, the DHCP
lease held, the secure stack's peak below its size."""
import argparse
import os
import random
import re
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import hostile_invariant  # noqa: E402

MARKER = b"KEEL-HOSTILE-SD\0"
PROGRESS_RX = re.compile(harness.APP + r"hostile_random: seed (\d+) step (\d+) runs (\d+) stops (\d+)")


def seeded_copy(src, dst, seed):
    data = bytearray(open(src, "rb").read())
    at = data.find(MARKER)
    if at < 0 or data.find(MARKER, at + 1) >= 0:
        raise SystemExit(f"{src}: the seed marker must occur exactly once")
    data[at + len(MARKER):at + len(MARKER) + 4] = struct.pack("<I", seed)
    open(dst, "wb").write(data)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    harness.common_args(p)
    p.add_argument("--seconds", type=float, default=60)
    a = p.parse_args()
    env_seed = os.environ.get("KEEL_HOSTILE_SEED")
    seed = int(env_seed, 0) if env_seed else random.SystemRandom().randrange(1, 2**32)
    print(f"hostile_random: seed {seed} (replay: KEEL_HOSTILE_SEED={seed}), "
          f"{a.seconds:.0f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp, hostile_invariant.Network(tmp) as net:
        app = os.path.join(tmp, "hostile_random.elf")
        seeded_copy(os.path.join(a.apps, "hostile_random", "hostile_random.elf"), app, seed)
        run = harness.boot(a.keel, a.fw, None, timeout=a.seconds,
                           flash=os.path.join(tmp, "flash.img"),
                           run_args=[app, "--"] + net.qemu_args)
    c = harness.Check("qemu_hostile_random")
    c.that(run.timed_out and run.seconds >= a.seconds - 1,
           f"the device ran the whole {a.seconds:.0f} s (status {run.status}, {run.seconds:.1f} s)")
    fails = run.matching(rf"^{harness.APP}FAIL: ")
    c.that(not fails, "no check of the application failed" + (f" (first: {fails[0]})" if fails else ""))
    seeds = {int(m.group(1)) for m in (PROGRESS_RX.match(x) for x in run.lines) if m}
    c.that(seeds <= {seed}, f"the application ran seed {seed} ({sorted(seeds)})")
    progress = [m for m in (PROGRESS_RX.match(x) for x in run.lines) if m]
    last = progress[-1] if progress else None
    steps = int(last.group(2)) if last else 0
    c.that(steps >= 400, f"{steps} random steps (>= 400)")
    # Still making progress at the end: the last quarter of the output has a report.
    tail = run.lines[3 * len(run.lines) // 4:]
    c.that(any(PROGRESS_RX.match(x) for x in tail), "the application was still running at the end")
    hostile_invariant.check(c, run, net)
    stops = len(run.matching(r"^\[mv\] app stopped: "))
    kinds = {}
    for x in run.matching(r"^\[mv\] app stopped: "):
        k = x.split("app stopped: ", 1)[1].split(" after ")[0]
        kinds[k] = kinds.get(k, 0) + 1
    print(f"seed {seed}: {steps} steps, {int(last.group(3)) if last else 0} runs, "
          f"{stops} stops by the microvisor: "
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])))
    return c.done(run if c.failures else None)


if __name__ == "__main__":
    sys.exit(main())
