#!/usr/bin/env python3
"""The cloud link's resilience (issue 13), with the real mosquitto and
keel-cloud of a `keel-cloud init` instance and the emulated device of
`keel run --cloud DIR` (cloud_link.py's Device). Every check is on what the
cloud stored: the application's numbered log lines, once each, in sequence
order, without a gap.

--part link (apps/hello, "heartbeat N" once a second):
  1. keel-cloud restarted (its serve process stopped for some heartbeats,
     then started again): the broker keeps the device connected (no new
     connection), the batches it could not ack are resent by the device
     (keel-cloud's broker session is a clean one: nothing is queued for it)
     and every heartbeat arrives;
  2. the device's network cut for 30 s (QMP set_link on keel run's slirp
     netdev "cloud"; the LAN9118 sees its carrier go): every heartbeat
     logged during the cut arrives once the link is back. What the device
     did (rode the cut out on its TCP connection, or failed and
     reconnected) is printed, not prescribed;
  3. the broker stopped until the uplink has moved its records to the
     flash spool (5 s offline), the device killed (keel run's QEMU gets
     SIGKILL: a power cut, the flash file kept) and booted again on the same
     flash with the broker back: the spooled records arrive after the
     reboot, the new boot's after them, none twice.

--part loss (apps/hello): 20% of the Ethernet frames dropped each way
(FrameLoss: QEMU's filter-redirector through this script) from the first
frame on: the device connects (DHCP, TCP, TLS, MQTT through the loss) and
40 heartbeats later every one is stored, once, in order.

--part apps (tests/qemu/apps/cloud_abuse): an application that crashes in a
loop, then hangs with interrupts masked, then floods mvServerLog, then logs
"beat N": the device keeps its one connection throughout (one "[link]
connected", one mosquitto "New client connected ... as <id>"), every
message the application was told was accepted is stored once, in order,
and the flood is limited as docs/cloud-link.md says (backpressure: the
application's buffer fills and mvServerLog reports it full; nothing
accepted is lost, and the link is not starved: the beats after it arrive).
"""
import argparse
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cloud_link as cl  # noqa: E402  (puts tests/cloud on the path)
import cloudtest as ct  # noqa: E402
import harness  # noqa: E402

DEVICE_ID = re.compile(r"^\[mv\] device (UV[0-9A-F]{32})$")
LINK_FAIL = re.compile(r"^\[link\] \S+: .*, retry in \d+ ms")


class Qmp:
    """QEMU's QMP socket (keel run --qmp PATH): commands, events skipped."""

    def __init__(self, path, seconds=30):
        end = time.monotonic() + seconds
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())  # the greeting
        self.cmd("qmp_capabilities")

    def cmd(self, command, **args):
        msg = {"execute": command}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r or "error" in r:
                return r

    def close(self):
        self.s.close()


def numbers(items, word):
    """The N of every stored "<word> N" record, in stored order."""
    rx = re.compile(rf"^{word} (\d+)\b")
    return [int(m.group(1)) for m in (rx.search(x["text"]) for x in items) if m]


def printed(dev, word, start=0):
    """The N of every "[app] <word> N" console line from line `start` on."""
    rx = re.compile(rf"^\[app\] {word} (\d+)\b")
    return [int(m.group(1)) for m in (rx.search(x) for x in dev.lines[start:]) if m]


def wait_stored(inst, dev_id, word, n, seconds, boot=0):
    """Polls keel-cloud until "<word> n" of the given boot (0: the first,
    1: the second; the numbers start again at each) is stored; the
    records, and whether it came."""
    end = time.monotonic() + seconds
    while True:
        items = cl.stored_logs(inst, dev_id)
        parts = runs(numbers(items, word))
        if len(parts) > boot and n in parts[boot]:
            return items, True
        if time.monotonic() > end:
            return items, False
        time.sleep(0.5)


def check_once_in_order(c, items, what):
    seqs = [x["seq"] for x in items]
    c.that(len(seqs) == len(set(seqs)) and seqs == sorted(seqs),
           f"{what}: records stored once each, in sequence order ({len(seqs)} records)")


def consecutive(xs, first=1):
    return xs == list(range(first, first + len(xs)))


def runs(xs):
    """[1,2,3,1,2] -> [[1,2,3],[1,2]]: the heartbeats of each boot."""
    out = []
    for x in xs:
        if not out or x != out[-1][-1] + 1:
            out.append([])
        out[-1].append(x)
    return out


def connections(inst, dev_id):
    log = open(os.path.join(inst.dir, "mosquitto.log")).read()
    return len(re.findall(rf"New client connected from \S+ as {dev_id} ", log))


def device_id(dev):
    ids = [m.group(1) for m in map(DEVICE_ID.search, dev.lines) if m]
    return ids[0] if ids else None


def connected_id(c, dev):
    """The device's id once it has connected (checked), else None."""
    i = dev.wait_for(cl.CONNECTED, 60)
    c.that(i is not None, "the device connected" + ("" if i is not None else ":\n" + dev.tail()))
    return device_id(dev) if i is not None else None


def part_link(c, a, inst, tmp):
    flash = os.path.join(tmp, "flash.img")
    qmp_path = os.path.join(tmp, "qmp.sock")
    dev = cl.Device(a, inst, flash, timeout=400, run_args=["--qmp", qmp_path])
    qmp = None
    try:
        dev_id = connected_id(c, dev)
        if not dev_id:
            return
        qmp = Qmp(qmp_path)
        first = printed(dev, "heartbeat")
        beat = first[-1] if first else None
        if beat is None:
            dev.wait_for(r"^\[app\] heartbeat \d+ ", 20)
            beat = printed(dev, "heartbeat")[-1]
        _, ok = wait_stored(inst, dev_id, "heartbeat", beat, 30)
        c.that(ok, f"heartbeat {beat} stored before the keel-cloud restart")

        # 1. keel-cloud restarted
        srv = inst.procs[0]
        srv.send_signal(signal.SIGTERM)
        srv.wait(20)
        inst.procs.remove(srv)
        c.that(srv.returncode == 0, f"keel-cloud serve stopped cleanly ({srv.returncode})")
        mark = len(dev.lines)
        stop_beat = printed(dev, "heartbeat")[-1]
        # some heartbeats while keel-cloud is away: batches published, not acked
        j = dev.wait_for(rf"^\[app\] heartbeat {stop_beat + 8} ", 30, mark)
        c.that(j is not None, f"the device logged on while keel-cloud was away "
               f"(heartbeats {stop_beat + 1}..{stop_beat + 8})")
        inst.serve()
        last = printed(dev, "heartbeat")[-1]
        items, ok = wait_stored(inst, dev_id, "heartbeat", last, 40)
        got = numbers(items, "heartbeat")
        c.that(ok and consecutive(got), f"after the keel-cloud restart every heartbeat is "
               f"stored, up to {last} logged at the restart ({got[:1]}..{got[-1:]})")
        c.that(dev.wait_for(cl.CONNECTED, 0, mark) is None
               and dev.wait_for(LINK_FAIL.pattern, 0, mark) is None
               and connections(inst, dev_id) == 1,
               "the broker kept the device connected through the keel-cloud restart "
               f"(mosquitto: {connections(inst, dev_id)} connection)")
        check_once_in_order(c, items, "keel-cloud restart")

        # 2. a 30 s link cut
        mark = len(dev.lines)
        r = qmp.cmd("set_link", name="cloud", up=False)
        c.that("return" in r, f"QMP set_link cloud off: {r}")
        cut_from = printed(dev, "heartbeat")[-1] + 1
        cut_end = time.monotonic() + 30
        while time.monotonic() < cut_end:  # the cut's length: the scenario, not a wait
            time.sleep(0.5)
            dev.pump()
        r = qmp.cmd("set_link", name="cloud", up=True)
        c.that("return" in r, f"QMP set_link cloud on: {r}")
        cut_to = printed(dev, "heartbeat")[-1]
        # TCP's retransmissions back off (RTO doubling): the first after the
        # cut may come some 25 s after the link is back; a session given up
        # on is back within its back-off
        items, ok = wait_stored(inst, dev_id, "heartbeat", cut_to, 90)
        got = numbers(items, "heartbeat")
        dev.pump()
        c.that(ok and consecutive(got) and cut_from in got,
               f"every heartbeat logged during the 30 s cut ({cut_from}..{cut_to}) is stored, "
               f"none twice ({got[:1]}..{got[-1:]}, {len(got)} stored)")
        fails = [x for x in dev.lines[mark:] if LINK_FAIL.search(x)]
        carrier = any(x.startswith("[net] DHCP bound") for x in dev.lines[mark:])
        print(f"info: during the cut the device {'saw the carrier go and ' if carrier else ''}"
              + (f"failed the session ({fails[0]}) and reconnected" if fails
                 else "kept its session: TCP retransmission rode the cut out")
              + f"; mosquitto saw {connections(inst, dev_id)} connection(s)", flush=True)
        check_once_in_order(c, items, "link cut")

        # 3. records spooled, then a power cut and a reboot on the same flash
        mark = len(dev.lines)
        inst.stop_broker()
        j = dev.wait_for(LINK_FAIL.pattern, 30, mark)
        c.that(j is not None, "the device noticed the broker gone"
               + ("" if j is not None else ":\n" + dev.tail()))
        if j is None:
            return
        # the uplink moves its RAM queue to flash after 5 s offline and
        # writes every later record straight there: 8 heartbeats on, the
        # ones printed (each printed once the uplink took it) are in flash
        down_beat = printed(dev, "heartbeat")[-1]
        k = dev.wait_for(rf"^\[app\] heartbeat {down_beat + 8} ", 30, j)
        c.that(k is not None, f"heartbeats logged with the broker gone (to {down_beat + 8})")
        qmp.close()
        qmp = None
        dev.stop()
        boot1 = printed(dev, "heartbeat")
        killed_at = boot1[-1]
        inst.start_broker()
        dev = cl.Device(a, inst, flash, timeout=120)
        i = dev.wait_for(cl.CONNECTED, 60)
        c.that(i is not None, "after the reboot the device connected again"
               + ("" if i is not None else ":\n" + dev.tail()))
        c.that(any(x.startswith("[link] log spool: records from") for x in dev.lines),
               "after the reboot the link found spooled records waiting")
        dev.wait_for(r"^\[app\] heartbeat 5 ", 30)
        last2 = printed(dev, "heartbeat")[-1]
        items, ok = wait_stored(inst, dev_id, "heartbeat", last2, 40, boot=1)
        got = numbers(items, "heartbeat")
        parts = runs(got)
        c.that(ok and len(parts) == 2 and parts[0][0] == 1 and parts[1][0] == 1,
               f"stored: the first boot's heartbeats, then the second boot's "
               f"({[(p[0], p[-1]) for p in parts]})")
        if len(parts) == 2:
            # the last one printed is in flash; one more may have reached
            # the spool just as QEMU was killed, before its console line
            c.that(killed_at <= parts[0][-1] <= killed_at + 1,
                   f"every heartbeat spooled before the power cut arrived after the reboot "
                   f"(printed to {killed_at}, stored to {parts[0][-1]})")
            c.that(parts[1][-1] >= last2, f"the new boot's heartbeats follow ({last2} stored)")
        check_once_in_order(c, items, "reboot with records spooled")
    finally:
        if qmp:
            qmp.close()
        dev.stop()


def part_apps(c, a, inst, tmp):
    app = os.path.join(a.apps, "cloud_abuse", "cloud_abuse.elf")
    dev = cl.Device(a, inst, os.path.join(tmp, "flash.img"), timeout=240, app=app)
    try:
        dev_id = connected_id(c, dev)
        if not dev_id:
            return
        j = dev.wait_for(r"^\[app\] flood done: ", 150)
        c.that(j is not None, "the application crashed, hung and flooded, and said so"
               + ("" if j is not None else ":\n" + dev.tail()))
        if j is None:
            return
        m = re.search(r"flood done: (\d+) accepted, (\d+) refused as full, (\d+) other",
                      dev.lines[j])
        accepted, full, other = (int(x) for x in m.groups())
        k = dev.wait_for(r"^\[app\] beat 5$", 30, j)
        c.that(k is not None, "after the flood the application's beats go on")
        faults = sum(1 for x in dev.lines if x.startswith("[mv] app stopped: SecureFault "))
        hangs = sum(1 for x in dev.lines
                    if x.startswith("[mv] app stopped: hang (interrupts masked too long) "))
        restarts = sum(1 for x in dev.lines if x.startswith("[mv] restarting app "))
        c.that(faults == 12 and hangs == 3 and restarts == 15,
               f"the microvisor stopped the application {faults} times for a fault, {hangs} "
               f"for a hang, and restarted it {restarts} times")
        last = printed(dev, "beat")[-1]
        items, ok = wait_stored(inst, dev_id, "beat", last, 40)
        c.that(ok, f"beat {last} is stored")
        for word, want in (("crash", 12), ("hang", 3)):
            got = numbers(items, word)
            c.that(got == list(range(1, want + 1)),
                   f"every '{word} N' line stored once, in order: {got}")
        got = numbers(items, "flood")
        c.that(accepted > 0 and got == list(range(1, accepted + 1)),
               f"all {accepted} flood messages mvServerLog accepted are stored once, in order "
               f"({got[:1]}..{got[-1:]}, {len(got)} stored)")
        c.that(full > 0 and other == 0,
               f"the flood was limited: mvServerLog refused {full} calls as buffer full "
               f"(INVALIDBUFFERSIZE), {other} otherwise, while the link drained "
               f"{accepted} records")
        beats = numbers(items, "beat")
        c.that(consecutive(beats) and bool(beats), f"beats 1..{beats[-1:]} stored after the flood")
        check_once_in_order(c, items, "crashing, hanging and flooding application")
        dev.pump()
        links = [x for x in dev.lines if x.startswith("[link] connected to")]
        fails = [x for x in dev.lines if LINK_FAIL.search(x)]
        c.that(len(links) == 1 and not fails and connections(inst, dev_id) == 1,
               f"one connection throughout: {len(links)} '[link] connected', {len(fails)} "
               f"failures, mosquitto saw {connections(inst, dev_id)}"
               + ("" if not fails else f" ({fails[0]})"))
    finally:
        dev.stop()


class FrameLoss:
    """Real frame loss between the device's NIC and slirp: QEMU's
    filter-redirector on keel run's netdev "cloud" hands every frame of each
    direction (queue=rx: the device's, queue=tx: slirp's) to a unix socket
    as [length u32 big-endian][frame], and takes back from a second socket
    the frames to pass on; a thread per direction passes each on or drops
    it with probability `rate` (seeded: the same frames go each run).
    Whole Ethernet frames are dropped, ARP and DHCP included: not bytes of
    a stream, which is all `keel relay` could drop."""

    def __init__(self, tmp, seed=13):
        self.rate = 0.0
        self.seed = seed
        self.paths = {k: os.path.join(tmp, f"loss-{k}.sock") for k in ("rxo", "rxi", "txo", "txi")}
        self.frames = {"rx": 0, "tx": 0}
        self.dropped = {"rx": 0, "tx": 0}

    def qemu_args(self):
        args = []
        for k, path in self.paths.items():
            args += ["-chardev", f"socket,id={k},path={path},server=on,wait=off"]
        for q in ("rx", "tx"):
            args += ["-object", f"filter-redirector,id=loss{q},netdev=cloud,queue={q},"
                                f"outdev={q}o,indev={q}i"]
        return args

    def start(self, seconds=30):
        for q in ("rx", "tx"):
            out, back = (self._connect(self.paths[q + k], seconds) for k in ("o", "i"))
            threading.Thread(target=self._pass, args=(q, out, back), daemon=True).start()

    @staticmethod
    def _connect(path, seconds):
        end = time.monotonic() + seconds
        while True:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.02)

    def _pass(self, q, out, back):
        rnd = random.Random(f"{self.seed}-{q}")
        buf = b""
        while True:
            try:
                data = out.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while len(buf) >= 4:
                n = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                frame, buf = buf[:4 + n], buf[4 + n:]
                self.frames[q] += 1
                if rnd.random() < self.rate:
                    self.dropped[q] += 1
                    continue
                try:
                    back.sendall(frame)
                except OSError:
                    return


def part_loss(c, a, inst, tmp):
    loss = FrameLoss(tmp)
    loss.rate = 0.2
    dev = cl.Device(a, inst, os.path.join(tmp, "flash.img"), timeout=240,
                    qemu_args=loss.qemu_args())
    try:
        # from the first frame on: DHCP, TCP, the TLS handshake and MQTT
        # all go through the loss
        loss.start()
        i = dev.wait_for(cl.CONNECTED, 90)
        c.that(i is not None, "the device connected through 20% frame loss"
               + (f" ({dev.lines[i]})" if i is not None else ":\n" + dev.tail()))
        dev_id = device_id(dev)
        if i is None or not dev_id:
            return
        start = printed(dev, "heartbeat")
        start = start[-1] if start else 0
        j = dev.wait_for(rf"^\[app\] heartbeat {start + 40} ", 60)
        c.that(j is not None, f"40 heartbeats logged under the loss (to {start + 40})")
        last = printed(dev, "heartbeat")[-1]
        items, ok = wait_stored(inst, dev_id, "heartbeat", last, 60)
        frames, dropped = dict(loss.frames), dict(loss.dropped)
        loss.rate = 0.0
        got = numbers(items, "heartbeat")
        c.that(ok and consecutive(got) and last in got,
               f"under 20% frame loss every heartbeat is stored, none twice, in order "
               f"({got[:1]}..{got[-1:]}, {len(got)} stored; {last} logged at the check)")
        check_once_in_order(c, items, "frame loss")
        share = {q: dropped[q] / frames[q] if frames[q] else 0 for q in frames}
        # some 120 frames a direction: the share drawn is 20% within a few sigma
        c.that(all(0.1 <= share[q] <= 0.3 and frames[q] > 100 for q in frames),
               f"frames dropped: device to slirp {dropped['rx']} of {frames['rx']}, "
               f"slirp to device {dropped['tx']} of {frames['tx']}")
        dev.pump()
        links = [x for x in dev.lines if x.startswith("[link] connected to")]
        fails = [x for x in dev.lines if LINK_FAIL.search(x)]
        print(f"info: under the loss: {len(links)} connection(s), {len(fails)} failure(s)"
              + (f" (first: {fails[0]})" if fails else "")
              + f"; mosquitto saw {connections(inst, dev_id)}", flush=True)
    finally:
        dev.stop()


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--cloud", required=True, help="the keel-cloud binary")
    p.add_argument("--part", choices=("link", "apps", "loss"), required=True)
    a = p.parse_args()
    c = harness.Check(f"cloud_resilience {a.part}")
    t0 = time.monotonic()
    tmp = ct.tempdir("cloud-resilience")
    inst = ct.Instance(a.cloud, tmp)
    inst.serve()
    try:
        {"link": part_link, "apps": part_apps, "loss": part_loss}[a.part](c, a, inst, tmp)
    finally:
        inst.stop()
    print(f"info: {a.part}: {time.monotonic() - t0:.0f} s", flush=True)
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
