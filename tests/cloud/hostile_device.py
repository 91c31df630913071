#!/usr/bin/env python3
"""A hostile device (KEEL-SA-2026-14, -15). A real MQTT client with a real
fleet certificate (keel-devsim raw) publishes what no honest device sends:
bytes that are not CBOR, a truncated batch, log text that is not UTF-8 or
holds NUL, a payload past PROTO_MAX_SIZE, duplicate, overlapping and gapped
sequence numbers. Meanwhile a client follows the device's live log stream
(server-sent events). Afterwards the stream still runs and delivered each
good record once and no bad one, keel-cloud still serves, and each good
record is stored exactly once.

Then one device whose records the database refuses (a trigger the test
installs rejects the text 'poison') shares an ingest transaction with a
good device: the good device's records are stored and acknowledged once,
the refused device gets no ack. On SQLite or PostgreSQL:

    hostile_device.py CLOUD DEVSIM sqlite|postgres
"""
import os
import re
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, Postgres, fail, http, ok, tempdir  # noqa: E402

CLOUD, DEVSIM, DB = sys.argv[1:4]
tmp = tempdir("hostile-" + DB)
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
pg = Postgres(tmp) if DB == "postgres" else None
inst = Instance(CLOUD, tmp, pg=pg)


# ---- a CBOR encoder for exactly what lib/proto's messages use -------------------------
def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, n)
    raise ValueError(n)


def tstr(b):
    return head(3, len(b)) + b


def logs(first_seq, texts):
    """{0: 1, 1: 3 (logs), 2: first_seq, 3: [[device_ms, level, text], ...]}; the
    texts are bytes, sent as CBOR text strings whatever they hold."""
    out = head(5, 4) + b"\x00\x01\x01\x03\x02" + head(0, first_seq) + b"\x03"
    out += head(4, len(texts))
    for i, t in enumerate(texts):
        out += b"\x83" + head(0, (first_seq + i) * 10) + b"\x01" + tstr(t)
    return out


def write(name, data):
    open(j(name), "wb").write(data)
    return j(name)


def raw(dev, *pairs, wait=3000):
    """keel-devsim raw as device number dev; [(first, count), ...] it saw acked."""
    p = subprocess.run([DEVSIM, "raw", "--port", str(inst.mqtt_port), "--ca",
                        j("instance", "ca.pem"), "--cert", j(f"dev{dev}.pem"), "--key",
                        j(f"dev{dev}.key"), "--wait", str(wait)] + [f"{k}={f}" for k, f in pairs],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail(f"keel-devsim raw: {p.stdout}{p.stderr}")
    if "logack bad" in p.stdout:
        fail("a log ack that does not decode")
    return [tuple(map(int, m)) for m in re.findall(r"logack (\d+) (\d+)", p.stdout)]


def stored(dev):
    return {int(s): t for s, t in
            inst.rows(f"SELECT seq, text FROM logs WHERE device_id = '{dev}'")}


try:
    # a long flush window: everything published within it shares one transaction
    proc = inst.serve(extra_env={"KEEL_CLOUD_LOG_FLUSH_MS": "1500"})
    H, G, P = inst.device_certs(DEVSIM, j("dev"), 3)  # hostile, good, poisoned
    p = subprocess.run([DEVSIM, "run", "--port", str(inst.mqtt_port), "--ca",
                        j("instance", "ca.pem"), "--certs", j("dev"), "--devices", "3",
                        "--records", "2", "--batch", "2", "--timeout", "60"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"keel-devsim run: {p.stdout}{p.stderr}")
    ok("three devices registered, records 1..2 of each acknowledged")

    # ---- the live stream of H's logs, read by a thread ---------------------------------
    events, stream_end = [], {"why": None}
    got_event = threading.Condition()

    def follow():
        req = urllib.request.Request(
            f"http://127.0.0.1:{inst.http_port}/v1/devices/{H}/logs/stream",
            headers={"Authorization": "Bearer " + inst.token})
        buf = b""
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                while True:
                    chunk = r.read1(4096)
                    if not chunk:
                        stream_end["why"] = "ended"
                        break
                    buf += chunk
                    while b"\n\n" in buf:
                        ev, buf = buf.split(b"\n\n", 1)
                        with got_event:
                            events.append(ev)
                            got_event.notify_all()
        except Exception as e:  # noqa: BLE001 - any end of the stream is the finding
            stream_end["why"] = repr(e)
        with got_event:
            got_event.notify_all()

    def wait_seq(seq, seconds=30):
        end = time.time() + seconds
        with got_event:
            while time.time() < end and stream_end["why"] is None:
                if any(f'"seq":{seq},'.encode() in e for e in events):
                    return True
                got_event.wait(0.5)
        return False

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    if not wait_seq(2):
        fail(f"the stream did not deliver the stored records ({stream_end['why']})")

    good = logs(3, [b"h3 ok", b"h4 caf\xc3\xa9", b"h5 \xf0\x9f\x99\x82"])
    hostile = [
        ("logs", write("garbage", b"\xff\x00\x13not cbor at all")),
        ("logs", write("truncated", good[:-4])),
        ("logs", write("overlong", logs(3, [b"h3 ok", b"\xc0\xaf"]))),
        ("logs", write("surrogate", logs(3, [b"\xed\xa0\x80"]))),
        ("logs", write("latin1", logs(3, [b"caf\xe9"]))),
        ("logs", write("nul", logs(3, [b"before\x00after"]))),
        ("logs", write("past10ffff", logs(3, [b"\xf4\x90\x80\x80"]))),
        ("logs", write("oversize", logs(3, [b"x" * 500] * 64) + b"\x00" * 20000)),
        ("hello", write("badhello", b"\xa1\x00\x01")),
        ("logs", write("good", good)),
        ("logs", write("dup", good)),                             # the same batch again
        ("logs", write("overlap", logs(5, [b"h5 again", b"h6"]))),  # 5 is a duplicate
        ("logs", write("gap", logs(10, [b"h10 after a gap"]))),
    ]
    acks = raw(0, *hostile, wait=4000)
    want_acks = [(3, 3), (3, 3), (5, 2), (10, 1)]
    if acks != want_acks:
        fail(f"acks for the hostile device: {acks}, want {want_acks} (nothing for a bad batch)")
    ok("bad CBOR, truncated, non-UTF-8, NUL, oversize batches refused unacked; good, "
       "duplicate, overlapping and gapped batches acked")
    if not wait_seq(10):
        fail(f"the live stream died on the hostile device's input: {stream_end['why']}")
    seqs = [int(m) for e in events for m in re.findall(rb'"seq":(\d+),', e)]
    if seqs != [1, 2, 3, 4, 5, 6, 10]:
        fail(f"stream delivered {seqs}, want each good record once, in order")
    texts = b"".join(events)
    if b"h5 again" in texts:
        fail("the stream delivered a duplicate's text")
    if "h4 caf\u00e9".encode() not in texts.replace(b"\\u00e9", "\u00e9".encode()):
        fail("a well-formed non-ASCII record did not come through intact")
    ok("the live stream survived and delivered records 1-6 and 10 once each, in order")
    st, js, _ = http(inst.http_port, "GET", f"/v1/devices/{H}/logs?limit=100", token=inst.token)
    if st != 200 or [x["seq"] for x in js["items"]] != [1, 2, 3, 4, 5, 6, 10]:
        fail(f"logs listing after the hostile input: {st} {js}")
    if proc.poll() is not None:
        fail(f"keel-cloud died (exit {proc.returncode})")
    s = stored(H)
    if sorted(s) != [1, 2, 3, 4, 5, 6, 10] or s[5] != "h5 \U0001F642" or s[6] != "h6":
        fail(f"stored for the hostile device: {s}")
    if inst.rows(f"SELECT COUNT(*) FROM logs WHERE device_id = '{H}'") != [("7",)]:
        fail("a record stored twice")
    ok("keel-cloud alive; each good record stored exactly once, no bad one")

    # ---- a hello's logs_dropped (key 64): kept; a malformed one changes nothing ---------
    def hello(tail, pairs):
        return (head(5, pairs) + b"\x00\x01\x01\x01\x02\x1a\x00\x01\x00\x00\x03\x1a\x00\x01"
                b"\x00\x00\x04\x03\x05\x01" + tail)

    def dropped_becomes(want):
        for _ in range(50):
            st, js, _ = http(inst.http_port, "GET", f"/v1/devices/{H}", token=inst.token)
            if st == 200 and js.get("logs_dropped") == want:
                return
            time.sleep(0.1)
        fail(f"device {H}'s logs_dropped: {st} {js}, want {want}")
    raw(0, ("hello", write("hello64", hello(b"\x18\x40" + head(0, 70000), 7))), wait=200)
    dropped_becomes(70000)
    raw(0, ("hello", write("hello64bad", hello(b"\x18\x40\x61x", 7))),
        ("hello", write("hello64big", hello(b"\x18\x40" + head(0, 1 << 32), 7))), wait=200)
    time.sleep(1)
    dropped_becomes(70000)
    raw(0, ("hello", write("hello0", hello(b"", 6))), wait=200)
    dropped_becomes(0)
    ok("a hello's logs_dropped (key 64) is kept as the device's; one that is not a uint32 "
       "is dropped whole; a hello without it means 0")

    # ---- one device's refused record does not cost the others (KEEL-SA-2026-15) ---------
    if pg:
        pg.sql("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               "IF NEW.text = 'poison' THEN RAISE EXCEPTION 'poisoned record'; END IF; "
               "RETURN NEW; END $$; CREATE TRIGGER poison BEFORE INSERT ON logs FOR EACH ROW "
               "EXECUTE FUNCTION poison();")
    else:
        c = sqlite3.connect(j("instance", "keel.db"))
        c.execute("CREATE TRIGGER poison BEFORE INSERT ON logs WHEN NEW.text = 'poison' "
                  "BEGIN SELECT RAISE(ABORT, 'poisoned record'); END")
        c.commit()
        c.close()
    out = {}

    def send(dev, name, texts):
        out[dev] = raw(dev, ("logs", write(name, logs(3, texts))), wait=6000)

    both = [threading.Thread(target=send, args=(2, "poisoned", [b"p3", b"poison", b"p5"])),
            threading.Thread(target=send, args=(1, "innocent", [b"g3", b"g4"]))]
    for th in both:
        th.start()
    for th in both:
        th.join()
    if out[1] != [(3, 2)]:
        fail(f"the good device's acks: {out[1]}, want exactly one for 3..4 (the poisoned "
             "device's refused record cost it its batch)")
    if out[2]:
        fail(f"the poisoned device was acked {out[2]} for records not stored")
    if sorted(stored(G)) != [1, 2, 3, 4] or sorted(stored(P)) != [1, 2]:
        fail(f"stored: good {sorted(stored(G))}, poisoned {sorted(stored(P))}")
    log = open(j("instance", "cloud-1.log")).read()
    if "storing each device's records on its own" not in log:
        fail("the two batches did not share a transaction: the test proved nothing")
    ok("a refused record costs only its own device: the other's batch stored and acked once")
finally:
    inst.stop()
    if pg:
        pg.stop()
print("hostile_device: all checks hold on " + DB)
