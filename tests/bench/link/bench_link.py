#!/usr/bin/env python3
"""The cloud link's figures, as "BENCH <name> <value> <unit>" lines, against
a real keel-cloud instance (`keel-cloud init`: mosquitto from
cloud/scripts/keel-broker, keel-cloud serve on SQLite), the emulated device
on slirp restrict=on with guestfwd to the broker only (`keel run --cloud`).

  m33_connect_to_first_publish_full     instructions the M33 executes from
  m33_connect_to_first_publish_resumed  the attempt's start (link.c's
                      link_start: the first pass after DHCP bound, or after
                      the back-off when reconnecting) to the first PUBACK of
                      the session (hello/status, QoS 1): TCP, TLS 1.3 with
                      client authentication (full, then resumed from the
                      broker's ticket after a cut connection), MQTT CONNECT,
                      SUBSCRIBE, the first publish. Everything the CPU does
                      in that time counts: ticks, interrupts, network, link.
  m33_idle_instr_per_min  instructions a connected, idle device executes per
                      minute of virtual time (the secure tick, which QEMU
                      7.2 runs at 500 Hz, the network's poll, MQTT
                      keepalives every 60 s, the uplink's timers),
                      the mean over IDLE_MINUTES minutes that start a minute
                      after the first PUBACK.
  link_ram            bytes of the connection manager's static state: the
                      data and bss symbols (arm-none-eabi-nm -S, types
                      b/B/d/D) defined by link/link.c and link/uplink.c as
                      compiled for the production microvisor. That is link.c's
                      one struct L: the TLS context and record buffers, the
                      session tickets, the TCP socket and its two 2 KiB
                      rings, the MQTT client and its buffers, the uplink with
                      its RAM log queue and batch, the log spool's handle,
                      the device key and the cloud's provisioning. Not
                      counted: the network stack's pool (net_ram, network
                      bench), the secure stack, server_log's queue (core/).
  log_latency_ms      from the application's mvServerLog to keel-cloud's
                      receipt of the record, the median over LOG_RECORDS
                      heartbeats of apps/hello (one a second, each in its
                      own batch), production microvisor, real time.

How the instructions are counted: the link figures boot microvisor_linkbench
(the production microvisor plus tests/bench/link/link_busy.c) under QEMU
`-icount shift=0,align=off,sleep=off` (keel run --icount): one instruction is
one virtual ns, and a WFI skips to the next timer deadline. The device has no
runnable application (this script blanks the app slot's manifest page after
installing), so its only sleep is the microvisor's idle wait (main.c's
weak mv_idle_wait), which link_busy.c replaces: with interrupts masked it
spins to an edge of TIMER1_S (20 MHz, 50 instructions a tick) before and
after each WFI, counting the spin's iterations (4 instructions each), so a
busy stretch, edge after one wake to edge before the next sleep, is exact
to a spin iteration at either end. The bench path's own instructions per
stretch are measured at its start (a "[bench] calibration" line: 200 cycles
of the same calls with no sleep and no interrupt) and taken off (Counter);
the production idle loop's 4 instructions a sleep are put back. The error
bound, 8 instructions per sleep, is printed on stderr. An application
would add its own instructions; a sleeping one adds a few per wake.

log_latency_ms's clocks: the end is the record's received_ms in keel-cloud
(GET /v1/devices/ID/logs: the host's clock, in ms, when keel-cloud's broker
client got the batch); the start is the record's device_ms, the device's
clock (QEMU's virtual clock, which without -icount runs with the host's)
when server_log's drain took the record, in the deferred work that follows
the mvServerLog call. The two clocks are tied by the console: the
microvisor echoes each record ("[app] heartbeat N") right after the drain
handed it to the link, and a thread here stamps each line as it arrives;
stamp - device_ms is the clocks' offset plus a console lag that is never
negative, so its minimum over every echoed heartbeat (40 or so) is taken
as the offset. The figure therefore reads short by that smallest lag
(under a millisecond: UART, QEMU's chardev, keel run's relay, a pipe) and
by up to 1 ms of truncation on either clock. Stamping each record with its
own echo instead would add the console's lag, which varies by tens of ms
(once more than the latency itself); that median is printed on stderr for
comparison. keel-cloud commits a record within log_flush_ms (20 ms by
default) of received_ms; that wait is not in the figure.

usage: bench_link.py --keel KEEL --fw FWDIR --cloud KEEL-CLOUD [--apps DIR]
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
sys.path.insert(0, os.path.join(ROOT, "tests", "cloud"))
import cloudtest as ct  # noqa: E402
import harness  # noqa: E402

INSTR_PER_TICK = 50  # TIMER1_S at 20 MHz, 1 instruction per virtual ns
IDLE_MINUTES = 5
LOG_RECORDS = 30
APP_SLOT_A = 0x200000  # FLASH_APP_SLOT_A - flash base (memory_map.h)
PAGE = 8192            # the slot's manifest page

CONNECTED = re.compile(r"^\[link\] connected to .* TLS 1\.3 \w+, (full|resumed) handshake")
FIRST_PUBACK = re.compile(r"^\[bench\] attempt to first puback: busy (\d+) ticks (\d+) spins "
                          r"(\d+) sleeps")
REPORT = re.compile(r"^\[bench\] busy (\d+) ticks (\d+) spins (\d+) sleeps (\d+) mv-ticks "
                    r"at (\d+) ms")
CALIBRATION = re.compile(r"^\[bench\] calibration: (\d+) ticks (\d+) spins over (\d+) cycles")
RETRY = re.compile(r"^\[link\] .*retry in \d+ ms")
BEAT = re.compile(r"^\[app\] heartbeat (\d+) ")


def fail(msg, dev=None):
    if dev:
        sys.stderr.write("\n".join(dev.text()[-40:]) + "\n")
    sys.exit("bench_link: " + msg)


class Device:
    """keel run in the background; a thread reads its output and stamps each
    line with the host's clock (time.time(), ms) as it arrives."""

    def __init__(self, cmd):
        self.lines = []  # (host ms, text)
        self.cv = threading.Condition()
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            stamp = time.time() * 1000.0
            with self.cv:
                self.lines.append((stamp, line.rstrip("\n")))
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def wait_for(self, rx, seconds, start=0):
        """Index of the first line from `start` on matching rx, or None."""
        end = time.monotonic() + seconds
        with self.cv:
            while True:
                for i in range(start, len(self.lines)):
                    if rx.search(self.lines[i][1]):
                        return i
                left = end - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    return None
                self.cv.wait(min(left, 0.5))

    def text(self):
        with self.cv:
            return [x for _, x in self.lines]

    @staticmethod
    def cut_relay(port):
        """Ends the device's TCP connection: its `keel relay 127.0.0.1 PORT`
        (one per connection, spawned by QEMU's guestfwd through a double
        fork, so not a child of ours) is killed, by pid. PORT is the
        instance's own broker port, picked free for this run: no one
        else's relay has it."""
        n = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                argv = open(f"/proc/{d}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            argv = [x.decode(errors="replace") for x in argv if x]
            if argv[-3:] == ["relay", "127.0.0.1", str(port)]:
                os.kill(int(d), signal.SIGTERM)
                n += 1
        return n

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.t.join(5)


def link_ram(fw):
    """Sum of the data/bss symbols of link.c's and uplink.c's objects."""
    base = os.path.join(fw, "microvisor", "CMakeFiles", "microvisor.dir", "link")
    total, syms = 0, []
    for obj in ("link.c.obj", "uplink.c.obj"):
        out = subprocess.run(["arm-none-eabi-nm", "-S", "--size-sort", os.path.join(base, obj)],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[2] in "bBdD":
                total += int(parts[1], 16)
                syms.append(f"{obj[:-6]}:{parts[3]}={int(parts[1], 16)}")
    return total, syms


class Counter:
    """Turns link_busy.c's totals into instructions the production
    microvisor would have executed."""

    SPIN_INSTR = 4  # link_busy.c's clock_edge loop

    def __init__(self, cal_ticks, cal_spins, cycles):
        # the bench path per stretch, from its calibration (no sleep, no
        # interrupt): edge to edge, less the counted spin
        self.cal = (cal_ticks * INSTR_PER_TICK - cal_spins * self.SPIN_INSTR) / cycles
        # a sleeping stretch runs that path plus DSB and WFI, less the
        # calibration loop's one extra instruction (subs, bne against main.c's b):
        # cal + 1; the production idle loop's own is bl, wfi, bx lr, b: 4
        self.per_sleep = self.cal + 1 - 4

    def instr(self, ticks, spins, sleeps):
        return round(ticks * INSTR_PER_TICK - spins * self.SPIN_INSTR
                     - sleeps * self.per_sleep)

    @staticmethod
    def bound(sleeps):
        """Worst case: each edge seen up to one spin iteration late."""
        return 2 * Counter.SPIN_INSTR * sleeps


def run_icount(a, inst, tmp):
    """The link figures: microvisor_linkbench, no application, -icount."""
    mv = os.path.join(a.fw, "tests", "bench", "link", "microvisor_linkbench.elf")
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    flash = os.path.join(tmp, "icount.img")
    # install the bench microvisor (keel run installs an app too; the short
    # boot that follows is cut at once), then blank the app's manifest page
    r = subprocess.run([a.keel, "run", "--fw", a.fw, "--microvisor", mv, "--flash", flash,
                        "--cloud", inst.dir, "--timeout", "1", hello],
                       capture_output=True, text=True)
    if r.returncode not in (0, 124) or not os.path.exists(flash):
        sys.stderr.write(r.stdout + r.stderr)
        fail(f"keel run could not install the bench microvisor (exit {r.returncode})")
    with open(flash, "r+b") as f:
        f.seek(APP_SLOT_A)
        f.write(b"\xff" * PAGE)
    dev = Device([a.keel, "run", "--fw", a.fw, "--no-install", "--flash", flash, "--cloud",
                  inst.dir, "--icount", "--timeout", "600"])
    fig = {}
    try:
        if dev.wait_for(re.compile(r"no runnable application"), 60) is None:
            fail("the bench device did not boot without an application", dev)
        k = dev.wait_for(CALIBRATION, 30)
        if k is None:
            fail("no calibration line from the bench microvisor", dev)
        cnt = Counter(*map(int, CALIBRATION.search(dev.text()[k]).groups()))
        sys.stderr.write(f"bench_link: the bench path per stretch: {cnt.cal:.1f} "
                         "instructions (subtracted)\n")
        i = dev.wait_for(FIRST_PUBACK, 120)
        if i is None:
            fail("no first PUBACK (full handshake)", dev)
        text = dev.text()
        c = [k for k in range(i) if CONNECTED.search(text[k])]
        if len(c) != 1 or "full handshake" not in text[c[0]] or \
                any(RETRY.search(x) for x in text[:i]):
            fail("the first attempt was not one clean full handshake", dev)
        t, sp, sl = map(int, FIRST_PUBACK.search(text[i]).groups())
        fig["m33_connect_to_first_publish_full"] = cnt.instr(t, sp, sl)
        err = {"full": cnt.bound(sl)}
        waits = {"full": sl}

        # idle: reports every 60 s of virtual time, from a minute after
        # the first PUBACK on, all in this one session
        reports = []
        j = i + 1
        while len(reports) < IDLE_MINUTES + 2:
            k = dev.wait_for(REPORT, 300, j)
            if k is None:
                fail(f"only {len(reports)} busy reports", dev)
            r = REPORT.search(dev.text()[k])
            reports.append(tuple(map(int, r.groups())))
            j = k + 1
        text = dev.text()
        if any(RETRY.search(x) or CONNECTED.search(x) for x in text[i:j]):
            fail("the session did not last through the idle minutes", dev)
        first, last = reports[1], reports[-1]
        d = [y - x for x, y in zip(first, last)]
        minutes = d[4] / 60000.0
        fig["m33_idle_instr_per_min"] = round(cnt.instr(d[0], d[1], d[2]) / minutes)
        err["idle"] = round(cnt.bound(d[2]) / minutes)
        per_min = [cnt.instr(y[0] - x[0], y[1] - x[1], y[2] - x[2]) * 60000.0 / (y[4] - x[4])
                   for x, y in zip(reports[1:], reports[2:])]
        sys.stderr.write(f"bench_link: idle minutes {[round(x) for x in per_min]}; "
                         f"{d[2] / minutes:.0f} wakes and {d[3] / minutes:.0f} microvisor "
                         "ticks a minute\n")

        # a cut connection: back-off, then a resumed handshake
        if dev.cut_relay(inst.mqtt_port) == 0:
            fail("no relay process of the device's connection found", dev)
        k = dev.wait_for(CONNECTED, 60, j)
        if k is None or "resumed handshake" not in dev.text()[k]:
            fail("the reconnect after the cut was not a resumed handshake", dev)
        k2 = dev.wait_for(FIRST_PUBACK, 60, k)
        if k2 is None:
            fail("no first PUBACK (resumed handshake)", dev)
        t, sp, sl = map(int, FIRST_PUBACK.search(dev.text()[k2]).groups())
        fig["m33_connect_to_first_publish_resumed"] = cnt.instr(t, sp, sl)
        err["resumed"] = cnt.bound(sl)
        waits["resumed"] = sl
        sys.stderr.write(f"bench_link: error bounds (instructions, +-): {err}\n")
        # what the waits for the network cost at the idle rate (their length
        # in virtual time depends on the host: QEMU skips ahead while the
        # broker answers in real time)
        per_wake = fig["m33_idle_instr_per_min"] * minutes / d[2]
        sys.stderr.write("bench_link: sleeps while connecting, and their cost at "
                         f"{per_wake:.0f} instructions a wake: "
                         f"{ {k: (v, round(v * per_wake)) for k, v in waits.items()} }\n")
    finally:
        dev.stop()
    return fig


def run_latency(a, inst, tmp):
    """log_latency_ms: the production microvisor and apps/hello, real time."""
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    flash = os.path.join(tmp, "latency.img")
    dev = Device([a.keel, "run", "--fw", a.fw, "--flash", flash, "--cloud", inst.dir,
                  "--timeout", str(LOG_RECORDS + 90), hello])
    try:
        i = dev.wait_for(CONNECTED, 60)
        if i is None:
            fail("the latency device did not connect", dev)
        ids = [m.group(1) for m in map(re.compile(r"^\[mv\] device (UV[0-9A-F]{32})$").search,
                                       dev.text()) if m]
        if not ids:
            fail("the device did not name itself", dev)
        # heartbeats logged while connected, the first few after the connect
        # (hello, status, the spooled backlog) left out
        beats = {}
        j = i + 1
        while len(beats) < LOG_RECORDS + 3:
            k = dev.wait_for(BEAT, 10, j)
            if k is None:
                fail(f"only {len(beats)} heartbeats after the connect", dev)
            with dev.cv:
                stamp, line = dev.lines[k]
            beats[int(BEAT.search(line).group(1))] = stamp
            j = k + 1
        if any(RETRY.search(x) for x in dev.text()[i:j]):
            fail("the session broke during the latency run", dev)
        wanted = sorted(beats)[3:]
        time.sleep(2)
    finally:
        dev.stop()
    echoes = {}
    for stamp, line in dev.lines:
        m = BEAT.search(line)
        if m:
            echoes[int(m.group(1))] = stamp
    st, body, _ = ct.http(inst.http_port, "GET", f"/v1/devices/{ids[0]}/logs?limit=500",
                          token=inst.token)
    if st != 200:
        fail(f"GET logs: {st} {body}")
    got = {}
    for rec in body["items"]:
        m = re.match(r"^heartbeat (\d+) ", rec["text"])
        if m:
            got[int(m.group(1))] = (rec["device_ms"], rec["received_ms"])
    if any(n not in got for n in wanted):
        fail(f"{sum(n not in got for n in wanted)} of {len(wanted)} heartbeats not stored")
    # the device's clock on the host's: the echo of a record reaches us a
    # console lag after device_ms, never before; the smallest lag seen over
    # every echoed heartbeat stands for zero
    offset = min(stamp - got[n][0] for n, stamp in echoes.items() if n in got)
    lat = [got[n][1] - (got[n][0] + offset) for n in wanted]
    by_echo = [got[n][1] - echoes[n] for n in wanted]
    sys.stderr.write(f"bench_link: log latency ms min {min(lat):.1f} max {max(lat):.1f} over "
                     f"{len(lat)} records; from the console echo instead: median "
                     f"{statistics.median(by_echo):.1f}, min {min(by_echo):.1f}\n")
    return {"log_latency_ms": round(statistics.median(lat), 1)}


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--cloud", required=True, help="the keel-cloud binary")
    a = p.parse_args()
    ram, syms = link_ram(a.fw)
    sys.stderr.write(f"bench_link: link_ram symbols {syms}\n")
    tmp = ct.tempdir("bench-link")
    inst = ct.Instance(a.cloud, tmp)
    inst.serve()
    try:
        fig = run_icount(a, inst, tmp)
        fig.update(run_latency(a, inst, tmp))
    finally:
        inst.stop()
    fig["link_ram"] = ram
    units = {"link_ram": "bytes", "log_latency_ms": "ms"}
    for name in ("m33_connect_to_first_publish_full", "m33_connect_to_first_publish_resumed",
                 "m33_idle_instr_per_min", "link_ram", "log_latency_ms"):
        print(f"BENCH {name} {fig[name]} {units.get(name, 'instr')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
