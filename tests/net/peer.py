#!/usr/bin/env python3
"""Host peer for the network end-to-end tests. slirp's guestfwd runs one
instance per guest connection (`guestfwd=tcp:10.0.2.100:PORT-cmd:peer.py
MODE`), with the connection on stdin, stdout and stderr (slirp connects all
three), so results are appended to the file named by $KEEL_PEER_LOG.

modes: control WORD   send WORD and a newline, then wait for EOF
       echo           echo everything until EOF
       source N       send N pattern bytes, then close
       sink           read to EOF, check the pattern, answer "OK N" or "BAD ..."
       vanish N       read N bytes, then exit without closing politely
"""
import os
import sys


def pattern(n, start=0):
    return bytes(((i * 31) ^ (i >> 8)) & 0xFF for i in range(start, start + n))


def log(msg):
    path = os.environ.get("KEEL_PEER_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"[peer] {msg}\n")


def write_all(data):
    view = memoryview(data)
    while view:
        k = os.write(1, view)
        view = view[k:]


def main():
    mode = sys.argv[1]
    if mode == "control":
        write_all((sys.argv[2] + "\n").encode())
        while os.read(0, 4096):
            pass
    elif mode == "echo":
        total = 0
        while True:
            d = os.read(0, 65536)
            if not d:
                break
            total += len(d)
            write_all(d)
        log(f"echo {total} bytes")
    elif mode == "source":
        n = int(sys.argv[2])
        write_all(pattern(n))
        log(f"source sent {n} bytes")
    elif mode == "sink":
        got = bytearray()
        while True:
            d = os.read(0, 65536)
            if not d:
                break
            got += d
        ok = bytes(got) == pattern(len(got))
        reply = f"OK {len(got)}\n" if ok else f"BAD {len(got)}\n"
        log(f"sink {reply.strip()}")
        try:
            write_all(reply.encode())
        except OSError:
            pass
    elif mode == "vanish":
        n = int(sys.argv[2])
        got = 0
        while got < n:
            d = os.read(0, 65536)
            if not d:
                break
            got += len(d)
        log(f"vanish after {got} bytes")
        os._exit(0)


if __name__ == "__main__":
    main()
