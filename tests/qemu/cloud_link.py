#!/usr/bin/env python3
"""The cloud link against the real broker: a keel-cloud instance made by
`keel-cloud init`, its mosquitto started by cloud/scripts/keel-broker, and
the emulated device started by `keel run --cloud DIR` (slirp restrict=on:
the device reaches the broker and nothing else). Checks:

  1. the device connects with mutual TLS 1.3 (its certificate from the
     fleet CA, the broker's checked against the provisioned anchor and
     name) and mosquitto sees the connection;
  2. with the broker stopped, attempts fail and the waits between them
     grow (exponential back-off, jitter within [wait/2, wait]);
  3. the broker back (new ticket keys: a full handshake), the device
     reconnects; a cut connection (its relay killed) is followed by a
     reconnect with a resumed handshake;
  4. a broker whose certificate names another host, and one whose
     certificate has expired, are refused by the device;
  5. a device whose certificate comes from another CA is refused by the
     broker;
  6. through all of 1-3, keel-cloud (serving the instance) sees the device
     online with its versions, and stores the application's log lines
     (hello's "heartbeat N") in order, none lost and none twice, the
     broker outage included (spooled on the device, sent when back);
  7. the device, revoked through keel-cloud's API, is refused by the
     broker in the TLS handshake (the CRL keel-cloud keeps: the alert
     certificate_revoked) when it boots again.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "cloud"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop", "tls"))
import cloudtest as ct  # noqa: E402
import harness  # noqa: E402
import interop_tls as it  # noqa: E402

CONNECTED = r"^\[link\] connected to localhost \(10\.0\.2\.100:\d+\) in \d+ ms, TLS 1\.3 \w+, (full|resumed) handshake, \d+ steps, longest \d+ us, secure stack peak (\d+)"
RETRY = re.compile(r"^\[link\] (\S+): (.*), retry in (\d+) ms")


class Device:
    """keel run --cloud in the background, its console lines collected."""

    def __init__(self, a, inst, flash, timeout=120, app=None, run_args=(), qemu_args=()):
        self.lines = []
        cmd = [a.keel, "run", "--fw", a.fw, "--timeout", str(timeout), "--flash", flash,
               "--cloud", inst.dir, *run_args,
               app or os.path.join(a.fw, "apps", "hello", "hello.elf")]
        if qemu_args:
            cmd += ["--", *qemu_args]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, bufsize=1)
        os.set_blocking(self.p.stdout.fileno(), False)

    def pump(self):
        while True:
            line = self.p.stdout.readline()
            if not line:
                return
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern, seconds, start=0):
        """The index of the first line from `start` on matching pattern, or None."""
        rx = re.compile(pattern)
        end = time.monotonic() + seconds
        while True:
            self.pump()
            for i in range(start, len(self.lines)):
                if rx.search(self.lines[i]):
                    return i
            if time.monotonic() > end or self.p.poll() is not None:
                self.pump()
                return None
            time.sleep(0.05)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.pump()

    def tail(self):
        return "\n".join([x for x in self.lines if not x.startswith("[app]")][-25:])


def broker_cert(inst, name, host, start="20200101000000Z", end="20991231000000Z"):
    """A broker certificate for `host` from the instance's fleet CA, put in
    place of DIR/broker.pem / broker.key (the originals kept as *.orig)."""
    pki = it.Pki(os.path.join(inst.dir, "pki-" + name))
    shutil.copy(os.path.join(inst.dir, "ca.pem"), pki.p("fleet.pem"))
    shutil.copy(os.path.join(inst.dir, "ca.key"), pki.p("fleet.key"))
    pki.issue(name, host, "fleet", ["basicConstraints=critical,CA:FALSE",
                                    "keyUsage=critical,digitalSignature",
                                    "extendedKeyUsage=serverAuth",
                                    "subjectAltName=DNS:" + host], start, end)
    for ext in ("pem", "key"):
        orig = os.path.join(inst.dir, "broker." + ext)
        if not os.path.exists(orig + ".orig"):
            shutil.copy(orig, orig + ".orig")
        shutil.copy(pki.p(f"{name}.{ext}"), orig)


def restore_broker_cert(inst):
    for ext in ("pem", "key"):
        orig = os.path.join(inst.dir, "broker." + ext)
        shutil.copy(orig + ".orig", orig)


def stored_logs(inst, dev_id):
    """Every log record keel-cloud stored for the device, in its order
    (the API's pages, 500 at a time): dicts with seq and text."""
    items, after = [], None
    while True:
        q = f"/v1/devices/{dev_id}/logs?limit=500" + (f"&after={after}" if after else "")
        st, body, _ = ct.http(inst.http_port, "GET", q, token=inst.token)
        if st != 200:
            return items
        items += body["items"]
        after = body.get("next")
        if not after:
            return items


def check_cloud(c, inst, dev, dev_id):
    """Online with versions; every heartbeat the device logged while the
    cloud could see it stored once, in order, with consecutive numbers."""
    # the hello of the newest connection may still be on its way
    deadline = time.monotonic() + 10
    while True:
        st, body, _ = ct.http(inst.http_port, "GET", f"/v1/devices/{dev_id}", token=inst.token)
        if (st == 200 and body and body.get("online")) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    c.that(st == 200 and body and body.get("online") is True
           and body.get("app_version") == "0.1.0" and body.get("mv_version") == "0.1.0",
           f"keel-cloud shows the device online with its versions: {st} {body}")
    # the device's heartbeats up to now must all arrive (they were logged
    # before this point; give the last batch a few seconds)
    beats = [int(m.group(1)) for m in map(re.compile(r"^\[app\] heartbeat (\d+) ").search,
                                          dev.lines) if m]
    want = beats[-1] if beats else None
    deadline = time.monotonic() + 15
    items = []
    while time.monotonic() < deadline:
        items = stored_logs(inst, dev_id)
        got = [int(m.group(1)) for m in (re.search(r"^heartbeat (\d+) ", x["text"]) for x in items) if m]
        if want is not None and want in got:
            break
        time.sleep(0.5)
    got = [int(m.group(1)) for m in (re.search(r"^heartbeat (\d+) ", x["text"]) for x in items) if m]
    seqs = [x["seq"] for x in items]
    c.that(want is not None and want in got,
           f"the last heartbeat before the check ({want}) is stored ({len(got)} stored)")
    c.that(len(seqs) == len(set(seqs)) and seqs == sorted(seqs),
           f"log records stored once each, in sequence order ({len(seqs)} records)")
    c.that(got == list(range(got[0], got[0] + len(got))) if got else False,
           f"heartbeats {got[:1]}..{got[-1:]} stored without a gap or a duplicate, "
           f"the broker outage included")
    c.that(bool(got) and got[0] <= 1, f"stored from the first heartbeat on ({got[:3]})")


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--cloud", required=True, help="the keel-cloud binary")
    a = p.parse_args()
    c = harness.Check("cloud_link")
    tmp = ct.tempdir("cloud-link")
    inst = ct.Instance(a.cloud, tmp)
    inst.serve()
    flash = os.path.join(tmp, "flash.img")
    dev = Device(a, inst, flash)
    dev_id = None
    try:
        # 1. connect
        i = dev.wait_for(CONNECTED, 60)
        c.that(i is not None, "the device connected with mutual TLS 1.3"
               + ("" if i is not None else ":\n" + dev.tail()))
        if i is None:
            return c.done()
        c.that("full handshake" in dev.lines[i], "the first handshake is a full one")
        log = open(os.path.join(inst.dir, "mosquitto.log")).read()
        c.that("New connection from 127.0.0.1" in log, "mosquitto saw the device's connection")

        # 2. the broker goes away: failures, growing waits
        inst.stop_broker()
        mark = len(dev.lines)
        waits = []
        end = time.monotonic() + 40
        while len(waits) < 4 and time.monotonic() < end:
            j = dev.wait_for(RETRY.pattern, 2, mark)
            if j is not None:
                m = RETRY.search(dev.lines[j])
                waits.append((m.group(1), m.group(2), int(m.group(3))))
                mark = j + 1
        c.that(len(waits) >= 4, f"failed attempts reported with their waits: {waits}")
        if len(waits) >= 4:
            ws = [w[2] for w in waits]
            # wait k is drawn from [B/2, B] with B = 1 s, 2 s, 4 s, 8 s ...
            okay = all(500 * 2 ** k <= w <= 1000 * 2 ** k for k, w in enumerate(ws))
            c.that(okay, f"back-off doubles with jitter within [B/2, B]: {ws} ms")
            # slirp accepts the connection itself; the relay then finds no
            # broker and closes it: the device sees a reset or an EOF
            c.that(all(re.search(r"tcp (refused|reset|closed)|tls eof", w[1]) for w in waits[1:]),
                   f"the broker's absence is a transport failure: {[w[1] for w in waits]}")

        # 3. the broker back: connected again; then a cut: resumed
        inst.start_broker()
        j = dev.wait_for(CONNECTED, 30, mark)
        c.that(j is not None, "reconnected once the broker came back"
               + ("" if j is not None else ":\n" + dev.tail()))
        mark = len(dev.lines)
        time.sleep(1)  # the broker's tickets arrive after the handshake
        subprocess.run(["pkill", "-f", rf"^\S*keel relay 127\.0\.0\.1 {inst.mqtt_port}$"])
        j = dev.wait_for(CONNECTED, 30, mark)
        c.that(j is not None and "resumed handshake" in dev.lines[j],
               "after a cut connection, reconnected with a resumed handshake"
               + (f" ({dev.lines[j]})" if j is not None else ":\n" + dev.tail()))
        mark = len(dev.lines) if j is None else j + 1

        # 6. what keel-cloud stored
        ids = [m.group(1) for m in map(re.compile(r"^\[mv\] device (UV[0-9A-F]{32})$").search,
                                       dev.lines) if m]
        c.that(len(ids) == 1, f"the device named itself once: {ids}")
        if ids:
            dev_id = ids[0]
            check_cloud(c, inst, dev, dev_id)
    finally:
        dev.stop()

    # 4. a broker with the wrong name, then an expired one: each met by a
    # device just booted (same flash), so no back-off stands in between
    for name, host, start, end_, why in (
            ("wrongname", "broker.elsewhere.test", "20200101000000Z", "20991231000000Z",
             r"tls x509 (name|host)"),
            ("expired", "localhost", "20200101000000Z", "20210101000000Z",
             r"tls x509 expired")):
        inst.stop_broker()
        broker_cert(inst, name, host, start, end_)
        inst.start_broker()
        dev = Device(a, inst, flash, timeout=60)
        try:
            j = dev.wait_for(rf"^\[link\] tls: {why}", 40)
            c.that(j is not None, f"a broker certificate {name}: refused by the device"
                   + (f" ({dev.lines[j]})" if j is not None else ":\n" + dev.tail()))
            c.that(dev.wait_for(CONNECTED, 0) is None, f"no connection to the {name} broker")
        finally:
            dev.stop()
    inst.stop_broker()
    restore_broker_cert(inst)
    inst.start_broker()

    # 5. a device from another CA (keel run's development CA)
    other = os.path.join(tmp, "other.img")
    r = harness.boot(a.keel, a.fw, os.path.join(a.fw, "apps", "hello", "hello.elf"),
                     timeout=20, flash=other, until=r"\[net\] DHCP bound")
    c.that(r.matching(r"\[net\] DHCP bound"), "a device provisioned from another CA")
    dev = Device(a, inst, other, timeout=60)
    try:
        # TLS 1.3: the client's handshake ends before the server has checked
        # its certificate, so the refusal is the broker's alert just after
        j = dev.wait_for(r"^\[link\] \w+: tls alert \w+, retry in", 40)
        c.that(j is not None, "the broker refused the device from another CA (an alert)"
               + (f" ({dev.lines[j]})" if j is not None else ":\n" + dev.tail()))
        c.that(any("certificate from another CA" in x for x in dev.lines),
               "keel run warned that the flash's identity is from another CA")
    finally:
        dev.stop()

    # 7. the first device revoked: refused in the handshake when it boots
    # again (the broker's CRL, docs/cloud.md Revocation)
    if dev_id:
        st, js, _ = ct.http(inst.http_port, "POST", f"/v1/devices/{dev_id}/revoke",
                            token=inst.token)
        c.that(st == 200 and js and js.get("broker_denied"),
               f"the device revoked through the API, the broker told: {st} {js}")
        dev = Device(a, inst, flash, timeout=60)
        try:
            j = dev.wait_for(r"^\[link\] \w+: tls alert certificate_revoked, retry in", 40)
            c.that(j is not None, "the revoked device is refused in the TLS handshake"
                   + (f" ({dev.lines[j]})" if j is not None else ":\n" + dev.tail()))
            c.that(dev.wait_for(CONNECTED, 0) is None, "no connection for the revoked device")
        finally:
            dev.stop()
    inst.stop()
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
