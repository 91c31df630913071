"""Shared by the network end-to-end tests: boots microvisor_nettest with
slirp (restrict=on: the guest reaches nothing but the guestfwd rules) and
one host peer process per connection (tests/net/peer.py)."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEER = os.path.join(ROOT, "tests", "net", "peer.py")
BULK = 1024 * 1024


def nic(control, extra=()):
    py = sys.executable
    rules = [("7000", f"control {control}"), ("7001", "echo"),
             ("7002", f"source {BULK}"), ("7003", "sink"), ("7004", "vanish 100000")]
    opts = ["user", "model=lan9118", "restrict=on"]
    for port, cmd in rules:
        opts.append(f"guestfwd=tcp:10.0.2.100:{port}-cmd:{py} {PEER} {cmd}")
    return ",".join(opts)


def run_nettest(a, control, timeout, icount=False, echo=True):
    mv = os.path.join(a.fw, "tests", "qemu", "apps", "net_mv", "microvisor_nettest.elf")
    app = os.path.join(a.fw, "apps", "hello", "hello.elf")
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "peer.log")
        os.environ["KEEL_PEER_LOG"] = log
        args = ["--microvisor", mv] + (["--icount"] if icount else [])
        run = harness.boot(a.keel, a.fw, None, timeout=timeout,
                           flash=os.path.join(tmp, "flash.img"),
                           run_args=args + [app, "--", "-nic", nic(control)])
        peer_lines = open(log).read().splitlines() if os.path.exists(log) else []
    for line in (run.matching(r"^BENCH |\[nettest\]") + peer_lines) if echo else []:
        print(line, flush=True)
    return run, peer_lines
