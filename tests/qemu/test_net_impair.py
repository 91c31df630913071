#!/usr/bin/env python3
"""1 MiB each way with the device's frames impaired in both directions
(a test build of the driver seam: 10% dropped, 5% duplicated, 5%
reordered): the data still arrives intact, in the budgeted configuration
(the rings net_ram_socket counts), each direction within 120 s (measured:
~60 s receiving, where slirp is the sender with its 1 s minimum RTO, and
~6-12 s sending)."""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import net_e2e  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    run, peer = net_e2e.run_nettest(a, "IMPAIR", timeout=300)
    c = harness.Check("net_impair")
    c.that(run.status == 0, f"exit status {run.status} == 0")
    for step in ("impaired_bulk_rx", "impaired_bulk_tx"):
        c.that(bool(run.matching(rf"\[nettest\] PASS {step} ")), f"step {step} passed")
    c.that(bool(run.matching(r"\[nettest\] impairment: [1-9]\d* dropped, [1-9]\d* duplicated, "
                             r"[1-9]\d* reordered")), "frames were dropped, duplicated, reordered")
    c.that("[peer] sink OK 1048576" in peer, "peer received 1 MiB intact")
    for step in ("impaired_bulk_rx", "impaired_bulk_tx"):
        m = [re.search(r" (\d+) ms", x) for x in run.matching(rf"\[nettest\] {step}: ")]
        ms = int(m[0].group(1)) if m and m[0] else None
        print(f"net_impair: {step} took {ms} ms", flush=True)
        c.that(ms is not None and ms <= 120000, f"{step} within 120 s")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
