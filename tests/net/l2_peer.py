#!/usr/bin/env python3
"""A raw-Ethernet host fixture for QEMU's `-nic dgram` (unix datagram
sockets): answers ARP, serves DHCP (short lease, so the device renews;
after the link-loss check it ignores unicast renewals, so the device
rebinds by broadcast at T2),
answers DNS for keel.test (after a forged answer with the wrong ID and one
from the wrong port), and pings the device (once a second until it answers). No real network is involved.

usage: l2_peer.py SOCKDIR [--keepalive]
  (binds SOCKDIR/peer.sock, sends to SOCKDIR/qemu.sock). --keepalive, for
  the hostile tests: a one-day lease, and a ping every 0.5 s for the whole
  run ("icmp echo request" / "icmp echo reply OK" logged for each).
Prints one line per event on stdout; runs until killed.
"""
import os
import socket
import struct
import sys
import time

PEER_MAC = bytes([0x02, 0, 0, 0, 3, 2])
SERVER, DNS, DEV = bytes([10, 0, 3, 2]), bytes([10, 0, 3, 3]), bytes([10, 0, 3, 15])
LEASE = 6
KEEPALIVE = "--keepalive" in sys.argv[2:]
if KEEPALIVE:
    LEASE = 86400


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_pkt(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp_pkt(src, sport, dst, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(u))
    c = csum(pseudo + u) or 0xFFFF
    return ip_pkt(src, dst, 17, u[:6] + struct.pack("!H", c) + u[8:])


def log(msg):
    print(msg, flush=True)


class Peer:
    def __init__(self, d):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.me = os.path.join(d, "peer.sock")
        self.qemu = os.path.join(d, "qemu.sock")
        self.sock.bind(self.me)
        self.dev_mac = None
        self.bound = False
        self.pinged = 0.0
        self.pong = False
        self.unicast_renewals = 0
        self.link_lost = False

    def send(self, dst_mac, etype, payload):
        frame = dst_mac + PEER_MAC + struct.pack("!H", etype) + payload
        try:
            self.sock.sendto(frame, self.qemu)
        except OSError as e:
            log(f"send failed: {e}")

    def arp(self, f):
        op, sha, spa, tpa = struct.unpack("!6xH6s4s6x4s", f[14:42])
        if op == 1 and tpa in (SERVER, DNS):
            reply = struct.pack("!HHBBH6s4s6s4s", 1, 0x800, 6, 4, 2, PEER_MAC, tpa, sha, spa)
            self.send(sha, 0x0806, reply)
            log(f"arp reply for {'.'.join(map(str, tpa))}")

    def dhcp(self, f, m):
        xid, ciaddr, chaddr = m[4:8], m[12:16], m[28:34]
        opts, i, mtype = m[240:], 0, 0
        while i < len(opts) and opts[i] != 255:
            if opts[i] == 0:
                i += 1
                continue
            if opts[i] == 53:
                mtype = opts[i + 2]
            i += 2 + opts[i + 1]
        reply_type = {1: 2, 3: 5}.get(mtype)
        if not reply_type:
            return
        renew = ciaddr != b"\0\0\0\0"
        unicast = f[30:34] == SERVER
        if renew and unicast:
            self.unicast_renewals += 1
            if self.unicast_renewals > 2 and self.link_lost:
                # After the link-loss check, the server "goes away" for
                # unicast: the device must rebind (broadcast) at T2.
                log("dhcp renew REQUEST ignored (server unreachable by unicast)")
                return
        if mtype == 3 and not renew:
            self.link_lost = self.link_lost or self.bound  # INIT-REBOOT after binding
        r = bytearray(300)
        r[0:4] = b"\x02\x01\x06\x00"
        r[4:8] = xid
        r[16:20] = DEV
        r[28:34] = chaddr
        r[236:240] = b"\x63\x82\x53\x63"
        o = bytes([53, 1, reply_type, 54, 4]) + SERVER + bytes([1, 4, 255, 255, 255, 0, 3, 4]) \
            + SERVER + bytes([6, 4]) + DNS + bytes([51, 4]) + struct.pack("!I", LEASE) + b"\xff"
        r[240:240 + len(o)] = o
        self.send(f[6:12], 0x0800, udp_pkt(SERVER, 67, b"\xff" * 4, 68, bytes(r)))
        kind = "" if not renew else "renew " if unicast else "rebind "
        log(f"dhcp {kind}{ {1: 'DISCOVER', 3: 'REQUEST'}[mtype]} -> "
            f"{ {2: 'OFFER', 5: 'ACK'}[reply_type]}")
        self.dev_mac = f[6:12]
        self.bound = self.bound or reply_type == 5

    def dns(self, f, sport, q):
        qid = q[0:2]
        i, labels = 12, []
        while q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode())
            i += 1 + q[i]
        name = ".".join(labels)
        question = q[12:i + 5]
        log(f"dns query {name} from port {sport}")
        if name.lower() == "broker.keel.test":
            ans = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, 6) + b"\x03cdn\xc0\x0c"
            target = 12 + len(question) + 12
            ans += struct.pack("!BB", 0xC0, target) + struct.pack("!HHIH", 1, 1, 60, 4) \
                + bytes([10, 0, 3, 100])
            body = struct.pack("!HHHH", 0x8180, 1, 2, 0) + b"\0\0\0\0"[:4]
            body = struct.pack("!HHHHH", 0x8180, 1, 2, 0, 0) + question + ans
        else:
            body = struct.pack("!HHHHH", 0x8183, 1, 0, 0, 0) + question
        wrong_id = struct.pack("!H", struct.unpack("!H", qid)[0] ^ 1)
        forged = struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + question + b"\xc0\x0c" + \
            struct.pack("!HHIH", 1, 1, 60, 4) + bytes([6, 6, 6, 6])
        self.send(f[6:12], 0x0800, udp_pkt(DNS, 53, DEV, sport, wrong_id + forged[0:]))
        self.send(f[6:12], 0x0800, udp_pkt(DNS, 5353, DEV, sport, qid + forged))
        self.send(f[6:12], 0x0800, udp_pkt(DNS, 53, DEV, sport, qid + body))

    def ping(self):
        icmp = bytearray(struct.pack("!BBHHH", 8, 0, 0, 0x4B45, 1) + b"keel-ping" * 4)
        icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
        self.send(self.dev_mac, 0x0800, ip_pkt(SERVER, DEV, 1, bytes(icmp)))
        self.pinged = time.monotonic()
        if KEEPALIVE:
            log("icmp echo request")

    def ip(self, f):
        ihl = (f[14] & 15) * 4
        proto, dst = f[23], f[30:34]
        l4 = f[14 + ihl:]
        if proto == 17:
            sport, dport = struct.unpack("!HH", l4[:4])
            if dport == 67:
                self.dhcp(f, l4[8:])
            elif dport == 53 and dst == DNS:
                self.dns(f, sport, l4[8:])
        elif proto == 1 and l4[0] == 0:
            ok = csum(bytes(l4)) == 0 and l4[8:] == b"keel-ping" * 4
            log(f"icmp echo reply {'OK' if ok else 'BAD'}")
            self.pong = self.pong or ok

    def run(self):
        self.sock.settimeout(0.2 if KEEPALIVE else 0.5)
        while True:
            if KEEPALIVE and self.bound and time.monotonic() - self.pinged > 0.5:
                self.ping()
            elif self.bound and not self.pong and time.monotonic() - self.pinged > 1.0:
                self.ping()  # again until answered (the device may be busy resolving)
            try:
                f = self.sock.recv(2048)
            except socket.timeout:
                continue
            if len(f) < 14:
                continue
            etype = struct.unpack("!H", f[12:14])[0]
            if etype == 0x0806:
                self.arp(f)
            elif etype == 0x0800:
                self.ip(f)


if __name__ == "__main__":
    Peer(sys.argv[1]).run()
