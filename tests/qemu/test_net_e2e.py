#!/usr/bin/env python3
"""The microvisor's TCP/IP against the Linux stack through slirp: DHCP
lease, TCP echo, 20 short connections, 1 MiB each way with the content
checked (by the device for receive, by the peer for send), and a peer that
vanishes mid-transfer, and keepalive: probes answered while the peer
is there, the connection ended once it has gone silent."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import net_e2e  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    run, peer = net_e2e.run_nettest(a, "FULL", timeout=240)
    c = harness.Check("net_e2e")
    c.that(run.status == 0, f"exit status {run.status} == 0")
    for step in ("dhcp", "control", "echo", "short_connections", "bulk_rx", "bulk_tx",
                 "vanish", "keepalive"):
        c.that(bool(run.matching(rf"\[nettest\] PASS {step} ")), f"step {step} passed")
    c.that(bool(run.matching(r"\[nettest\] DONE failures=0")), "no step failed")
    c.that("[peer] sink OK 1048576" in peer, "peer received 1 MiB intact")
    c.that(sum(1 for x in peer if x.startswith("[peer] echo 9 bytes")) == 20,
           "20 short echo connections seen by the peer")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
