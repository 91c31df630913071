#!/usr/bin/env python3
"""Makes the test PKI of microvisor_tlstest (run by hand; the results are
committed): a CA (cloud_ca.h, the trust anchor compiled into the test
image) and the server certificate and key that tests/qemu/test_tls.py
gives openssl s_server (server.pem, server.key), for cloud.keel.test,
valid 2020-2099. Test keys only: nothing else trusts this CA."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../interop/tls"))
import interop_tls as it  # noqa: E402

with tempfile.TemporaryDirectory() as d:
    k = it.Pki(d)
    k.issue("ca", "Keel test cloud CA", None, it.CA_EXT)
    k.issue("server", it.HOST, "ca", it.LEAF_EXT)
    der = open(k.p("ca.der"), "rb").read()
    with open(os.path.join(HERE, "cloud_ca.h"), "w") as f:
        f.write("/* Made by make_pki.py: the test cloud CA, microvisor_tlstest's trust anchor. */\n")
        f.write(f"static const uint8_t CLOUD_CA[{len(der)}] = {{\n")
        for i in range(0, len(der), 12):
            f.write("    " + ", ".join(f"0x{b:02x}" for b in der[i:i + 12]) + ",\n")
        f.write("};\n")
    for name in ("server.pem", "server.key"):
        with open(k.p(name)) as src, open(os.path.join(HERE, name), "w") as dst:
            dst.write(src.read())
