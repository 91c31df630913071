#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/mqtt_packet and mqtt_client
(hand-made MQTT 3.1.1 packets and client sessions; see fuzz_mqtt.c for the
input formats). usage: make_seeds.py <tests/fuzz/corpus>"""
import os
import sys

root = sys.argv[1]


def publish(topic, payload, qos=0, pid=1, dup=False, retain=False):
    body = len(topic).to_bytes(2, "big") + topic + (pid.to_bytes(2, "big") if qos else b"") + payload
    return bytes([0x30 | (8 if dup else 0) | qos << 1 | (1 if retain else 0)]) + rl(len(body)) + body


def rl(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def strip(pkt):
    """mqtt_packet's format: the first byte, then the body (no length)."""
    n = 1
    while pkt[n] & 0x80:
        n += 1
    return pkt[:1] + pkt[n + 1:]


def feed(pkt):
    """mqtt_client's feed op: one op byte per chunk of up to 64 bytes."""
    out = b""
    for i in range(0, len(pkt), 64):
        chunk = pkt[i:i + 64]
        out += bytes([len(chunk) - 1]) + chunk
    return out


CONNACK = b"\x20\x02\x00\x00"
PUB, PUB0, SUB, SEND, PART, TICK, TICK20, RECONNECT, DISC = 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8
BEGIN, COMMIT, ABORT = 0xA9, 0xAA, 0xAB

packets = {
    "connack": CONNACK, "connack_present": b"\x20\x02\x01\x00", "connack_refused": b"\x20\x02\x00\x05",
    "puback": b"\x40\x02\x12\x34", "suback": b"\x90\x04\x00\x01\x01\x80", "pingresp": b"\xd0\x00",
    "publish0": publish(b"devices/x/down/config", b"\xa2\x00\x01\x01\x07"),
    "publish1": publish(b"devices/x/down/command", b"run", 1, 0x0102, dup=True, retain=True),
    "publish_utf8": publish("devices/\u00e9t\u00e9/\U0001f600".encode(), b"x", 1, 9),
    "publish_big": publish(b"t", bytes(300), 1, 7),
}
os.makedirs(f"{root}/mqtt_packet", exist_ok=True)
for name, pkt in packets.items():
    with open(f"{root}/mqtt_packet/{name}", "wb") as f:
        f.write(strip(pkt))
with open(f"{root}/mqtt_packet/rl_max", "wb") as f:
    f.write(b"\xff\xff\xff\x7f")

sessions = {
    "connect": feed(CONNACK) + bytes([SEND]),
    "subscribe": feed(CONNACK) + bytes([SUB, SEND]) + feed(b"\x90\x04\x00\x01\x01\x00"),
    "publish_ack": feed(CONNACK) + bytes([PUB, PUB, PUB0, SEND]) + feed(b"\x40\x02\x00\x01\x40\x02\x00\x02"),
    "incoming": feed(CONNACK) + feed(packets["publish0"] + packets["publish1"]) + bytes([SEND]),
    "keepalive": feed(CONNACK) + bytes([TICK] * 6 + [SEND]) + feed(b"\xd0\x00") + bytes([TICK20]),
    "redeliver": feed(CONNACK) + bytes([PUB, PUB, PART, SEND, RECONNECT, PUB]) + feed(b"\x20\x02\x01\x00")
    + bytes([SEND]) + feed(b"\x40\x02\x00\x02"),
    "oversize": feed(CONNACK) + feed(publish(b"t/o", bytes(2100), 1, 5)) + bytes([SEND]),
    "disconnect": feed(CONNACK) + bytes([PUB, DISC, SEND]),
    "window": feed(CONNACK) + bytes([PUB] * 6 + [SEND]),
    # commit reads the next byte as the length (then runs it as an op too)
    "zero_copy": feed(CONNACK) + bytes([BEGIN, COMMIT, SEND, BEGIN, RECONNECT, COMMIT, 0x03])
    + b"\x20\x02\x01\x00" + bytes([SEND, BEGIN, ABORT, SEND]),
}
os.makedirs(f"{root}/mqtt_client", exist_ok=True)
for name, s in sessions.items():
    with open(f"{root}/mqtt_client/{name}", "wb") as f:
        f.write(s)
