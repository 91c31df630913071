#!/usr/bin/env python3
"""The application can never reach the network chip: reads of the LAN9118
through either alias fault (and the app is restarted), its interrupt is
invisible from the Non-secure side, and the microvisor's own network (a
DHCP lease from slirp) works meanwhile."""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    a = p.parse_args()
    app = os.path.join(a.apps, "net_hostile", "net_hostile.elf")
    with tempfile.TemporaryDirectory() as tmp:
        run = harness.boot(a.keel, a.fw, None, timeout=120,
                           flash=os.path.join(tmp, "flash.img"),
                           run_args=[app, "--", "-nic", "user,model=lan9118,restrict=on"])
    c = harness.Check("net_hostile")
    c.that(run.status == 0, f"exit status {run.status} == 0")
    c.that(len(run.matching(r"\[mv\] app crash: SecureFault")) >= 2,
           "both LAN9118 reads were SecureFaults")
    c.that(bool(run.matching(r"PASS: ethernet IRQ 48 invisible")), "IRQ 48 not reachable")
    c.that(bool(run.matching(r"testapp: \d+ checks, 0 failures")), "app checks passed")
    c.that(bool(run.matching(r"\[net\] DHCP bound 10\.0\.2\.15")), "microvisor got its lease")
    return c.done(run)


if __name__ == "__main__":
    sys.exit(main())
