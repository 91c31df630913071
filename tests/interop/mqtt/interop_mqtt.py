#!/usr/bin/env python3
"""MQTT interop: microvisor/mqtt's client (mqtt_peer) against Debian's
mosquitto 2.0, with mqtt_ref (libmosquitto, MQTT 5) as the cloud side.

1. plain: a mosquitto on a free loopback port with a plain listener;
2. tls: the instance `keel-cloud init` makes (fleet CA, broker
   certificate, TLS 1.3 only, client certificates required, the device
   ACL), a device certificate from `keel-devsim certs`, and mqtt_peer
   over microvisor/tls; mqtt_ref connects with keel-cloud's certificate;
3. a fake broker that accepts the CONNECT and then never answers: the
   missing PINGRESP must surface as ping_timeout.

In 1 and 2 the same session checks run: QoS 1 and 0 publishes reach a
subscriber, a QoS 1 downlink arrives (and is PUBACKed), a message sent
while the device is offline arrives after it reconnects with clean
session 0, a publish whose connection was cut before its PUBACK is resent
with DUP after the reconnect and reaches the subscriber, an oversized
downlink is dropped, acknowledged and not redelivered, keepalive pings
flow; on the plain broker, a restart (the session forgotten) with a
publish unacknowledged, which is resent all the same. Every broker is
killed at the end.

usage: interop_mqtt.py MQTT_PEER MQTT_REF KEEL_CLOUD KEEL_DEVSIM
"""
import os
import pwd
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

PEER, REF, CLOUD, DEVSIM = sys.argv[1:5]
procs = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    cleanup()
    sys.exit(1)


def ok(msg):
    print("ok: " + msg, flush=True)


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def start(args, **kw):
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=kw.pop("stderr", None), text=True, bufsize=1, **kw)
    procs.append(p)
    q = queue.Queue()

    def reader():
        for line in p.stdout:
            q.put(line.rstrip("\n"))
        q.put(None)
    threading.Thread(target=reader, daemon=True).start()
    return p, q


class Peer:
    """mqtt_peer: one command in, one "ok"/"error" line out; events kept."""

    def __init__(self, args):
        self.p, self.q = start([PEER] + args)
        self.events = []

    def cmd(self, line, timeout=30):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        end = time.time() + timeout
        while True:
            try:
                got = self.q.get(timeout=max(0.1, end - time.time()))
            except queue.Empty:
                fail(f"mqtt_peer: no answer to {line!r}")
            if got is None:
                fail(f"mqtt_peer exited ({self.p.wait()}) during {line!r}")
            if got.startswith("event "):
                self.events.append(got)
                continue
            return got

    def expect(self, line, prefix, timeout=30):
        got = self.cmd(line, timeout)
        if not got.startswith(prefix):
            fail(f"{line!r}: got {got!r}, wanted {prefix!r}...")
        return got

    def close(self):
        self.p.stdin.close()
        if self.p.wait(timeout=30) != 0:
            fail(f"mqtt_peer exited {self.p.returncode}")


class Sub:
    """mqtt_ref sub: the cloud's subscriber."""

    def __init__(self, port, topic, tls):
        self.p, self.q = start([REF, "sub", "--port", str(port), "--id", "ref-sub-" + str(port),
                                "--topic", topic] + tls)
        self.lines = []
        self.wait_line("ready")

    def wait_line(self, want, timeout=10):
        end = time.time() + timeout
        while True:
            for l in self.lines:
                if l == want or l.startswith(want):
                    self.lines.remove(l)
                    return l
            try:
                got = self.q.get(timeout=max(0.1, end - time.time()))
            except queue.Empty:
                fail(f"the subscriber did not see {want!r} (saw {self.lines})")
            if got is None:
                fail(f"mqtt_ref sub exited ({self.p.wait()})")
            self.lines.append(got)

    def count(self, want):
        while not self.q.empty():
            got = self.q.get()
            if got is not None:
                self.lines.append(got)
        return sum(1 for l in self.lines if l.startswith(want))

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def ref_pub(port, topic, text, tls):
    r = subprocess.run([REF, "pub", "--port", str(port), "--id", "ref-pub-" + str(port),
                        "--topic", topic, "--msg", text] + tls, capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        fail(f"mqtt_ref pub {topic}: {r.stderr.strip()}")


def session_checks(name, port, peer_args, dev, tls, other=None, restart=None, ref_port=None):
    # ref_port: where the cloud's side connects (keel-cloud's own listener)
    ref_port = ref_port or port
    up, down = f"devices/{dev}/up", f"devices/{dev}/down"
    sub = Sub(ref_port, up + "/#", tls)
    p = Peer(["--port", str(port), "--id", dev, "--keepalive", "1"] + peer_args)
    p.expect("connect", "ok connack sp=0 rc=0")
    p.expect(f"sub {down}/# 1", "ok suback granted=1")
    ok(f"{name}: CONNECT (clean session 0), SUBSCRIBE {down}/# granted QoS 1")
    if other:
        # the broker's ACL confines a device to its own topics: mosquitto
        # 2.0.11 grants a 3.1.1 subscription to another device's topics
        # (SUBACK 1) and then delivers nothing on it
        p.expect(f"sub devices/{other}/down/# 1", "ok suback granted=")
        ref_pub(ref_port, f"devices/{other}/down/command", "not-yours", tls)
        p.expect("wait 700", "ok waited")
        if any("not-yours" in e for e in p.events):
            fail(f"{name}: a device received another device's message")
        ok(f"{name}: another device's downlink is not delivered (broker ACL)")

    p.expect(f"pub {up}/logs 1 log-batch-1", "ok published")
    sub.wait_line(f"msg {up}/logs qos=1 log-batch-1")
    p.expect(f"pub {up}/status 0 status-0", "ok published")
    sub.wait_line(f"msg {up}/status qos=0 status-0")
    ok(f"{name}: QoS 1 publish PUBACKed and seen by the subscriber; QoS 0 too")

    ref_pub(ref_port, f"{down}/command", "cmd-1", tls)
    p.expect(f"expect {down}/command cmd-1", "ok message qos=1 dup=0")
    ok(f"{name}: QoS 1 downlink delivered")

    # persistent session: a message sent while offline waits in the broker
    p.expect("disconnect", "ok closed")
    ref_pub(ref_port, f"{down}/command", "while-offline", tls)
    p.expect("connect", "ok connack sp=1 rc=0")
    p.expect(f"expect {down}/command while-offline", "ok message qos=1")
    ok(f"{name}: offline message delivered after reconnecting with the session present")

    # redelivery: cut before the PUBACK can arrive
    before = sub.count(f"msg {up}/logs qos=1 cut-before-ack")
    cut = p.expect(f"pub-cut {up}/logs cut-before-ack", "ok cut id=")
    cut_id = cut.split("=")[1]
    p.expect("connect", "ok connack sp=1 rc=0 resent=1")
    p.expect("wait 500", "ok waited")
    if f"event puback id={cut_id}" not in p.events:
        fail(f"{name}: the resent publish {cut_id} was not PUBACKed ({p.events[-5:]})")
    sub.wait_line(f"msg {up}/logs qos=1 cut-before-ack")
    stats = p.expect("stats", "ok stats")
    if "window=4" not in stats:
        fail(f"{name}: publishes left in flight: {stats}")
    ok(f"{name}: publish cut before its PUBACK resent with DUP after reconnect, acked and "
       f"delivered ({before + 1}+ copies are allowed at QoS 1)")

    # an oversized downlink: dropped, acknowledged, not redelivered
    ref_pub(ref_port, f"{down}/big", "B" * 6000, tls)
    p.expect("wait 700", "ok waited")
    if not any(e.startswith("event dropped qos=1") for e in p.events):
        fail(f"{name}: the oversized message was not reported dropped")
    p.events.clear()
    p.expect("cut", "ok cut")
    p.expect("connect", "ok connack sp=1")
    p.expect("wait 700", "ok waited")
    if any(e.startswith("event dropped") for e in p.events):
        fail(f"{name}: the oversized message came back after a reconnect: it was not PUBACKed")
    ok(f"{name}: an oversized downlink is dropped and PUBACKed, not redelivered")

    w = p.expect("wait 3500", "ok waited pingresps=")
    if int(w.split("=")[1]) < 2:
        fail(f"{name}: keepalive 1 s, {w}")
    ok(f"{name}: keepalive: {w.split('=')[1]} PINGRESPs in 3.5 s")

    if restart:
        # a broker restart (persistence false: it forgets the session) with
        # a publish still unacknowledged: CONNACK says no session, and the
        # publish is resent all the same
        p.expect(f"pub-cut {up}/logs across-restart", "ok cut id=")
        sub.stop()
        restart()
        sub = Sub(ref_port, up + "/#", tls)
        p.expect("connect", "ok connack sp=0 rc=0 resent=1")
        p.expect("wait 500", "ok waited")
        sub.wait_line(f"msg {up}/logs qos=1 across-restart")
        p.expect(f"sub {down}/# 1", "ok suback granted=1")
        if "window=4" not in p.expect("stats", "ok stats"):
            fail(f"{name}: publishes left in flight after the restart")
        ok(f"{name}: broker restarted (session lost, sp=0): the unacknowledged publish is "
           "resent, acked and delivered")
    p.expect("disconnect", "ok closed")
    p.close()
    sub.stop()


def me():
    return pwd.getpwuid(os.getuid()).pw_name


def plain(tmp):
    port = free_port()
    conf = os.path.join(tmp, "plain.conf")
    with open(conf, "w") as f:
        f.write(f"user {me()}\npersistence false\nlog_dest stderr\nlog_type all\n"
                f"allow_anonymous true\nlistener {port} 127.0.0.1\n")
    path = os.path.join(tmp, "plain.log")
    log = open(path, "w")
    brokers = []

    def broker():
        b, _ = start(["mosquitto", "-c", conf], stderr=log)
        if not wait_port(port, b):
            fail("mosquitto (plain) did not start")
        brokers.append(b)

    def restart():
        brokers[-1].terminate()
        brokers[-1].wait()
        broker()
    broker()
    dev = "UV00000000000000000000000000000001"
    session_checks("plain", port, [], dev, [], restart=restart)
    brokers[-1].kill()
    brokers[-1].wait()
    log.close()
    # the broker's own record of the packets: MQTT 3.1.1 (p2), clean
    # session 0 (c0), and the resent publish with DUP set (d1)
    text = open(path).read()
    for want in (f"as {dev} (p2, c0, k1)", f"Received PUBLISH from {dev} (d1, q1, r0",
                 f"Received PINGREQ from {dev}", f"Sending PUBACK to {dev}"):
        if want not in text:
            fail(f"plain: mosquitto's log has no {want!r}")
    ok("plain: mosquitto logged a 3.1.1 client, clean session 0, a PUBLISH with DUP, PINGREQs")


def der(src, dst, kind="x509"):
    subprocess.run(["openssl", kind, "-in", src, "-outform", "DER", "-out", dst], check=True,
                   capture_output=True)


def tls(tmp):
    port, cloud_port = free_port(), free_port()
    d = os.path.join(tmp, "cloud")
    r = subprocess.run([CLOUD, "init", d, "--device-port", str(port), "--mqtt-port",
                        str(cloud_port), "--http-port", str(free_port())],
                       capture_output=True, text=True,
                       env=dict(os.environ, KEEL_CLOUD_DATABASE="sqlite:" + os.path.join(tmp, "db.sqlite")))
    if r.returncode != 0:
        fail(f"keel-cloud init: {r.stderr}")
    log = open(os.path.join(tmp, "tls.log"), "w")
    b, _ = start(["mosquitto", "-c", os.path.join(d, "mosquitto.conf")], stderr=log)
    if not wait_port(port, b):
        fail("mosquitto (keel-cloud's TLS listener) did not start")
    prefix = os.path.join(tmp, "dev")
    r = subprocess.run([DEVSIM, "certs", "--ca", os.path.join(d, "ca.pem"), "--ca-key",
                        os.path.join(d, "ca.key"), "--out", prefix, "--count", "2"],
                       capture_output=True, text=True)
    ids = r.stdout.split()
    if r.returncode != 0 or len(ids) != 2:
        fail(f"keel-devsim certs: {r.stdout}{r.stderr}")
    der(os.path.join(d, "ca.pem"), os.path.join(tmp, "ca.der"))
    der(prefix + "0.pem", prefix + "0.der")
    key = subprocess.run(["openssl", "pkey", "-in", prefix + "0.key", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    with open(prefix + "0.seed", "wb") as f:
        f.write(key[-32:])  # the raw Ed25519 seed ends the PKCS#8 DER
    peer_args = ["--tls", "--host", "localhost", "--anchor", os.path.join(tmp, "ca.der"),
                 "--cert", prefix + "0.der", "--seed", prefix + "0.seed"]
    cloud_tls = ["--tls", os.path.join(d, "ca.pem"), os.path.join(d, "cloud.pem"),
                 os.path.join(d, "cloud.key")]
    session_checks("tls", port, peer_args, ids[0], cloud_tls, other=ids[1], ref_port=cloud_port)
    b.kill()
    b.wait()


def silent_broker():
    """CONNACK, then silence: the client must give up on its PINGREQ."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = []

    def serve():
        c, _ = srv.accept()
        c.recv(1024)
        c.sendall(b"\x20\x02\x00\x00")
        while True:
            b = c.recv(1024)
            if not b:
                break
            got.append(b)
        c.close()
    threading.Thread(target=serve, daemon=True).start()
    p = Peer(["--port", str(port), "--id", "silent", "--keepalive", "1"])
    p.expect("connect", "ok connack sp=0")
    t0 = time.time()
    p.expect("wait 20000", "error ping_timeout", timeout=40)
    took = time.time() - t0
    if b"\xc0\x00" not in b"".join(got):
        fail("no PINGREQ reached the silent broker")
    ok(f"silent broker: PINGREQ sent, no PINGRESP: ping_timeout after {took:.1f} s")
    p.close()
    srv.close()


def main():
    if not shutil.which("mosquitto"):
        fail("mosquitto is not installed (scripts/setup)")
    tmp = tempfile.mkdtemp(prefix="interop_mqtt.")
    try:
        plain(tmp)
        tls(tmp)
        silent_broker()
    finally:
        cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
    print("interop_mqtt: all checks passed")


main()
