#!/usr/bin/env python3
"""The broker keel-cloud init configures (Debian's mosquitto): a device
certificate cannot publish or subscribe to another device's topics; a
certificate from another CA gets no session; a device revoked through the
API is denied every topic once keel-cloud has rewritten the ACL and
signalled the broker, and keel-cloud drops what it still sends.

    broker_acl.py CLOUD DEVSIM
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, fail, http, ok, tempdir  # noqa: E402

CLOUD, DEVSIM = sys.argv[1:3]
tmp = tempdir("acl")
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
inst = Instance(CLOUD, tmp)
ca = j("instance", "ca.pem")


def devsim(*args, want=0):
    p = subprocess.run([DEVSIM, *args], capture_output=True, text=True)
    print(p.stdout, end="")
    if p.returncode != want:
        fail(f"keel-devsim {' '.join(args)}: exit {p.returncode}, want {want}\n{p.stderr}")
    return p.stdout


try:
    inst.serve()
    ids = devsim("certs", "--ca", ca, "--ca-key", j("instance", "ca.key"), "--out", j("dev"),
                 "--count", "3").split()
    # another fleet's CA and a device certificate from it, named like ours
    os.makedirs(j("other"))
    devsim("certs", "--ca", ca, "--ca-key", j("instance", "ca.key"), "--out", j("other", "x"))
    subprocess.run([CLOUD, "init", j("other", "inst"), "--mqtt-port", "1"], check=True,
                   capture_output=True)
    devsim("certs", "--ca", j("other", "inst", "ca.pem"), "--ca-key",
           j("other", "inst", "ca.key"), "--out", j("foreign"))
    port = str(inst.mqtt_port)
    # TLS 1.3 only, a client certificate required: checked with openssl s_client
    def s_client(*args):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                            ca, "-verify_return_error", *args], input="", capture_output=True,
                           text=True, timeout=20)
        return p.returncode, p.stdout + p.stderr
    rc, out = s_client("-tls1_3", "-cert", j("dev0.pem"), "-key", j("dev0.key"))
    if rc != 0 or "TLSv1.3" not in out:
        fail(f"TLS 1.3 with a device certificate: {out[-500:]}")
    rc, out = s_client("-tls1_2", "-cert", j("dev0.pem"), "-key", j("dev0.key"))
    if rc == 0 or "alert protocol version" not in out:
        fail(f"the broker accepted TLS 1.2: {out[-500:]}")
    # TLS 1.3 sends "certificate required" after the client's Finished:
    # -ign_eof keeps s_client reading until the broker's alert and close
    rc, out = s_client("-tls1_3", "-ign_eof")
    if rc == 0 or "alert certificate required" not in out:
        fail(f"the broker accepted a client without a certificate: {out[-500:]}")
    ok("openssl s_client: TLS 1.3 with a device certificate works; TLS 1.2 and a client "
       "without a certificate are refused")
    devsim("probe", "--port", port, "--ca", ca, "--a", j("dev0"), "--b", j("dev1"),
           "--refused", j("foreign0"))
    ok("devices are confined to their own topics; another CA's certificate is refused")
    # the control for revocation: before it, device 2 has a working session
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev2"), want=1)
    ok("before revocation device 2 works (the probe detects a working session)")
    devsim("run", "--port", port, "--ca", ca, "--certs", j("dev"), "--devices", "3",
           "--records", "5", "--timeout", "20")
    st, js, _ = http(inst.http_port, "POST", f"/v1/devices/{ids[2]}/revoke", token=inst.token)
    if st != 200 or not js["revoked"]:
        fail(f"revoke: {st} {js}")
    time.sleep(0.5)  # mosquitto rereads the ACL on the SIGHUP keel-cloud sent
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev2"))
    ok("after revocation the broker denies device 2 every topic")
    devsim("probe", "--port", port, "--ca", ca, "--a", j("dev0"), "--b", j("dev1"))
    ok("the other devices are unaffected")
    # a restarted broker reads the same ACL: revocation outlives it
    inst.stop_broker()
    inst.start_broker()
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev2"))
    ok("the revocation survives a broker restart")
finally:
    inst.stop()
print("broker: all checks hold")
