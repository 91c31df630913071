#!/usr/bin/env python3
"""Makes fixture.h for the M33 TLS bench: a real mutual-auth TLS 1.3
handshake (TLS_CHACHA20_POLY1305_SHA256) between tls_peer, run with fixed
entropy, and openssl s_server, with every byte the server sent. Replaying
those bytes into the client with the same entropy on the M33 repeats the
full handshake (chain check, CertificateVerify, Finished, our
CertificateVerify signature) to the first application byte. Then a second
connection resumes from the first one's ticket: the ticket store as it was
before it, its start time (now_ms, which the ticket age depends on), its
entropy and the server's bytes.

usage: make_fixture.py TLS_PEER > tests/bench/tls/fixture.h
Run by hand when the fixture must change; the result is committed."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../interop/tls"))
import interop_tls as it  # noqa: E402

ENTROPY = bytes(range(1, 65))
RESUME_ENTROPY = bytes(range(101, 165))


def carray(name, data):
    rows = [", ".join(f"0x{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    return (f"static const uint8_t {name}[{len(data)}] = {{\n    " + ",\n    ".join(rows) +
            "\n};\n")


def main():
    peer = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        k = it.make_pki(d)
        port = it.free_port()
        srv = it.s_server(k, port)
        store = os.path.join(d, "tickets")
        outs = []
        try:
            for tag, entropy in (("full", ENTROPY), ("resumed", RESUME_ENTROPY)):
                if tag == "resumed":
                    with open(store, "rb") as f:
                        tickets = f.read()
                args = it.peer_args(peer, k, port, time_s=None) + [
                    "--entropy", entropy.hex(), "--record", os.path.join(d, tag + ".bin"),
                    "--tickets", store, "send:go-" + tag, "expect:x", "close"]
                proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
                if not srv.wait_for("go-" + tag, 15):
                    sys.exit("make_fixture: no handshake")
                srv.write("x\n")
                out, _ = proc.communicate(timeout=30)
                if proc.returncode != 0:
                    sys.exit(f"make_fixture: tls_peer failed: {out}")
                outs.append(out)
        finally:
            srv.stop()
        if "resumed=1" not in outs[1]:
            sys.exit(f"make_fixture: the second connection did not resume: {outs[1]}")
        init_ms = int(outs[1].split("init_ms=")[1].split()[0])
        read = lambda n: open(os.path.join(d, n), "rb").read()
        print("/* Made by tests/bench/tls/make_fixture.py against openssl s_server: see there. */")
        print("#include <stdint.h>")
        print('static const char FIXTURE_HOST[] = "%s";' % it.HOST)
        print(carray("FIXTURE_ENTROPY", ENTROPY))
        print(carray("FIXTURE_ANCHOR", read("ca.der")))
        print(carray("FIXTURE_CERT", read("dev.der")))
        print(carray("FIXTURE_SEED", read("dev.seed")))
        print(carray("FIXTURE_SERVER", read("full.bin")))
        print(f"#define FIXTURE_RESUME_MS {init_ms}ull")
        print(carray("FIXTURE_RESUME_ENTROPY", RESUME_ENTROPY))
        print(carray("FIXTURE_TICKETS", tickets))
        print(carray("FIXTURE_RESUME_SERVER", read("resumed.bin")))


if __name__ == "__main__":
    main()
