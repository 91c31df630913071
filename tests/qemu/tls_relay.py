#!/usr/bin/env python3
"""guestfwd relay for test_tls.py: slirp runs one per guest connection
(`guestfwd=tcp:10.0.2.100:4433-cmd:tls_relay.py PORT`) with the connection
on stdin/stdout (and stderr: nothing may be printed), and this copies it
both ways to openssl s_server on 127.0.0.1:PORT until either side closes."""
import os
import select
import socket
import sys


def main():
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    fds = [0, s.fileno()]
    while True:
        ready, _, _ = select.select(fds, [], [], 120)
        if not ready:
            return
        if 0 in ready:
            data = os.read(0, 65536)
            if not data:
                s.shutdown(socket.SHUT_WR)
                fds.remove(0)
            else:
                s.sendall(data)
        if s.fileno() in ready:
            data = s.recv(65536)
            if not data:
                return
            view = memoryview(data)
            while view:
                view = view[os.write(1, view):]


if __name__ == "__main__":
    main()
