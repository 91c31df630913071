"""The invariant every hostile test asserts (issue 9): whatever the
application does, the microvisor never resets and never stops, its network
stays up, and its secure stack's high-water mark stays below its size.

The network is the raw-Ethernet fixture tests/net/l2_peer.py --keepalive
(DHCP with a one-day lease, a ping every 0.5 s for the whole run), over a
`-netdev dgram` unix socket: with Network(tmp) as net, pass net.qemu_args
after "--" to keel run; net.lines is the fixture's log afterwards.

check(c, run, net) adds the assertions to a harness.Check; peak(run) is the
highest secure-stack mark the microvisor reported ("[mv] secure stack peak
N of M bytes", printed at every application restart)."""
import os
import re
import subprocess
import sys
import time

PEAK_RX = re.compile(r"^\[mv\] secure stack peak (\d+) of (\d+) bytes")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Network:
    def __init__(self, tmp):
        self.tmp = tmp
        self.lines = []
        self.qemu_args = ["-netdev", f"dgram,id=n0,local.type=unix,local.path={tmp}/qemu.sock,"
                                     f"remote.type=unix,remote.path={tmp}/peer.sock",
                          "-net", "nic,netdev=n0,model=lan9118"]

    def __enter__(self):
        self.log = open(os.path.join(self.tmp, "peer.log"), "w+")
        self.peer = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "net",
                                                                   "l2_peer.py"),
                                      self.tmp, "--keepalive"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(50):
            if os.path.exists(os.path.join(self.tmp, "peer.sock")):
                break
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.peer.kill()
        self.peer.wait()
        self.log.seek(0)
        self.lines = self.log.read().splitlines()
        self.log.close()
        return False


def peak(run):
    """(highest mark, stack size), or (None, None) if never reported."""
    marks = [(int(m.group(1)), int(m.group(2)))
             for m in (PEAK_RX.match(line) for line in run.lines) if m]
    if not marks:
        return None, None
    return max(p for p, _ in marks), marks[0][1]


def check(c, run, net=None):
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
        print(f"BENCH secure_stack_peak {top} bytes", flush=True)
        print(f"BENCH secure_stack_size {size} bytes", flush=True)
    if net is not None:
        bound = run.matching(r"^\[net\] DHCP bound 10\.0\.3\.15 ")
        c.that(len(bound) == 1, f"the DHCP lease was taken once and held ({len(bound)} bind)")
        asked = [i for i, x in enumerate(net.lines) if x == "icmp echo request"]
        answered = [i for i, x in enumerate(net.lines) if x == "icmp echo reply OK"]
        late = sum(1 for i in asked if not answered or i > answered[-1])
        c.that(bool(answered) and late <= 6,
               f"pings answered throughout: {len(answered)} of {len(asked)}, "
               f"{late} unanswered at the end (<= 6, 3 s)")
        c.that("icmp echo reply BAD" not in net.lines, "every ping reply well formed")
    return top
