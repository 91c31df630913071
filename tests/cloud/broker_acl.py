#!/usr/bin/env python3
"""The broker keel-cloud init configures (Debian's mosquitto): a device
certificate cannot publish or subscribe to another device's topics; a
certificate from another CA gets no session; a device revoked through the
API is refused in the TLS handshake (DIR/crl.pem, which openssl verify
checks independently) and denied every topic once keel-cloud has rewritten
the CRL and the ACL and signalled the broker, and keel-cloud drops what it
still sends.

Revocation end to end: a device revoked while it is connected and
subscribed gets nothing more and nothing it publishes is stored; its
reconnect is denied; the API answers 200 only once the broker was told,
503 broker_not_updated when it could not be (a stale pidfile), and the
revocation is applied as soon as it can be; keel-cloud rebuilds the ACL
from the database when it starts (a revocation the file never got, a file
edited by hand) and within a second when the file goes.

    broker_acl.py CLOUD DEVSIM sqlite|postgres
"""
import calendar
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import BROKER, Instance, Postgres, fail, http, ok, tempdir  # noqa: E402

CLOUD, DEVSIM, DB = sys.argv[1:4]
tmp = tempdir("acl")
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
pg = Postgres(tmp) if DB == "postgres" else None
inst = Instance(CLOUD, tmp, database=pg.url if pg else None)
ca = j("instance", "ca.pem")
ENV = {"KEEL_CLOUD_BROKER_WAIT_MS": "4000"}
pidfile = j("instance", "mosquitto.pid")
real_pid = None  # the broker's pid while the test has the pidfile pointing elsewhere


def devsim(*args, want=0):
    p = subprocess.run([DEVSIM, *args], capture_output=True, text=True)
    print(p.stdout, end="")
    if p.returncode != want:
        fail(f"keel-devsim {' '.join(args)}: exit {p.returncode}, want {want}\n{p.stderr}")
    return p.stdout


def sql(q):
    if pg:
        return pg.sql(q)
    import sqlite3
    c = sqlite3.connect(j("instance", "keel.db"))
    c.execute(q)
    c.commit()
    c.close()


def device(i):
    st, js, _ = http(inst.http_port, "GET", f"/v1/devices/{ids[i]}", token=inst.token)
    if st != 200:
        fail(f"GET device {i}: {st} {js}")
    return js


def until(what, cond, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return
        time.sleep(0.1)
    fail(f"not within {seconds} s: {what}")


def stop_cloud():
    """SIGTERM the one keel-cloud serve: it must exit 0."""
    p = inst.procs.pop()
    p.send_signal(signal.SIGTERM)
    if p.wait(20) != 0:
        fail(f"keel-cloud exited {p.returncode} on SIGTERM")


try:
    inst.serve(extra_env=ENV)
    ids = devsim("certs", "--ca", ca, "--ca-key", j("instance", "ca.key"), "--out", j("dev"),
                 "--count", "5").split()
    # another fleet's CA and a device certificate from it, named like ours
    os.makedirs(j("other"))
    devsim("certs", "--ca", ca, "--ca-key", j("instance", "ca.key"), "--out", j("other", "x"))
    subprocess.run([CLOUD, "init", j("other", "inst"), "--device-port", "1"], check=True,
                   capture_output=True)
    devsim("certs", "--ca", j("other", "inst", "ca.pem"), "--ca-key",
           j("other", "inst", "ca.key"), "--out", j("foreign"))
    port = str(inst.mqtt_port)
    # TLS 1.3 only, a client certificate required: checked with openssl s_client
    def s_client(*args, at=None):
        p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{at or port}", "-CAfile",
                            ca, "-verify_return_error", *args], input="", capture_output=True,
                           text=True, timeout=20)
        return p.returncode, p.stdout + p.stderr
    # revocation in the handshake itself (KEEL-SA-2026-22): DIR/crl.pem,
    # checked by OpenSSL's own verifier and by the broker through s_client
    def verify_crl(i):
        p = subprocess.run(["openssl", "verify", "-crl_check", "-CAfile", ca, "-CRLfile",
                            j("instance", "crl.pem"), j(f"dev{i}.pem")], capture_output=True,
                           text=True)
        return p.returncode == 0, p.stdout + p.stderr

    crl_times = []

    def crl_issued():
        """DIR/crl.pem's lastUpdate (epoch seconds)."""
        p = subprocess.run(["openssl", "crl", "-noout", "-lastupdate", "-dateopt", "iso_8601",
                            "-in", j("instance", "crl.pem")], capture_output=True, text=True)
        t = p.stdout.strip().split("=", 1)[-1]
        return calendar.timegm(time.strptime(t, "%Y-%m-%d %H:%M:%SZ"))

    def revoked_in_tls(i):
        # each CRL is issued after the last (the broker keeps the one with
        # the latest lastUpdate) and an hour back (a broker clock behind
        # ours must not find it not yet valid)
        t = crl_issued()
        if (crl_times and t < crl_times[-1]) or t > time.time() - 3000:
            fail(f"DIR/crl.pem's lastUpdate {t}: after {crl_times}, an hour back from now")
        crl_times.append(t)
        good, out = verify_crl(i)
        if good or "certificate revoked" not in out:
            fail(f"openssl verify -crl_check device {i}: {out}")
        for k in (0, 1):
            good, out = verify_crl(k)
            if not good:
                fail(f"openssl verify -crl_check device {k}: {out}")
        rc, out = s_client("-tls1_3", "-ign_eof", "-cert", j(f"dev{i}.pem"), "-key",
                           j(f"dev{i}.key"))
        if rc == 0 or "alert certificate revoked" not in out:
            fail(f"the broker completed TLS with revoked device {i}: {out[-500:]}")
    for i in range(5):
        serial = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                                 j(f"dev{i}.pem")], capture_output=True, text=True).stdout
        if serial.strip() != "serial=01" + ids[i][2:]:
            fail(f"device {i}'s certificate serial {serial.strip()} is not 01 || its id")
        good, out = verify_crl(i)
        if not good:
            fail(f"the empty CRL of keel-cloud init: device {i}: {out}")
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
    # keel-cloud's own listener, where client ids are free, trusts only the
    # services CA: no device certificate gets a session there
    rc, out = s_client("-tls1_3", "-ign_eof", "-cert", j("dev0.pem"), "-key", j("dev0.key"),
                       at=inst.cloud_port)
    if rc == 0 or "alert unknown ca" not in out:
        fail(f"keel-cloud's listener accepted a device certificate: {out[-500:]}")
    rc, out = s_client("-tls1_3", "-cert", j("instance", "cloud.pem"), "-key",
                       j("instance", "cloud.key"), at=inst.cloud_port)
    if rc != 0 or "TLSv1.3" not in out:
        fail(f"keel-cloud's listener refused keel-cloud's certificate: {out[-500:]}")
    rc, out = s_client("-tls1_3", "-ign_eof", "-cert", j("instance", "cloud.pem"), "-key",
                       j("instance", "cloud.key"))
    if rc == 0 or "alert unknown ca" not in out:
        fail(f"the devices' listener accepted keel-cloud's certificate: {out[-500:]}")
    ok("keel-cloud's listener takes keel-cloud's certificate (services CA) and refuses a "
       "device's; the devices' listener refuses keel-cloud's")
    devsim("probe", "--port", port, "--ca", ca, "--a", j("dev0"), "--b", j("dev1"),
           "--refused", j("foreign0"))
    ok("devices are confined to their own topics; another CA's certificate is refused")
    # the control for revocation: before it, device 2 has a working session
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev2"), want=1)
    ok("before revocation device 2 works (the probe detects a working session)")
    devsim("run", "--port", port, "--ca", ca, "--certs", j("dev"), "--devices", "5",
           "--records", "5", "--timeout", "20")

    # ---- revoked while connected and subscribed ------------------------------------------
    # device 2's session, which keel-cloud ends by taking its client id
    # (the device id) over. Device 2 asks for another client id, as a
    # hostile device may, but the broker replaces whatever a device asks for
    # with its certificate's CN, so the session must still end; before
    # that, device 3's certificate asking for the client id device 2 asked
    # for must not end it (KEEL-SA-2026-21: without the broker's rule both
    # checks fail). The watcher is keel-cloud's certificate on keel-cloud's
    # listener.
    def hold(seq, *args):
        h = subprocess.Popen([DEVSIM, "hold", "--port", port, "--ca", ca, "--device",
                              j("dev2"), "--cloud", j("instance", "cloud"), "--cloud-port",
                              str(inst.cloud_port), "--seq", str(seq), *args],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for line in h.stdout:
            print(line, end="")
            if line.startswith("ready"):
                return h
        fail("keel-devsim hold did not get ready")
    # a TLS session ticket device 2 holds from before its revocation (the
    # ticket follows the handshake: s_client stays until it is written)
    sc = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                           ca, "-tls1_3", "-ign_eof", "-cert", j("dev2.pem"), "-key",
                           j("dev2.key"), "-sess_out", j("dev2.sess")], stdin=subprocess.PIPE,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(j("dev2.sess")) and os.path.getsize(j("dev2.sess")):
            break
        time.sleep(0.05)
    sc.kill()
    sc.wait()
    if not os.path.exists(j("dev2.sess")) or not os.path.getsize(j("dev2.sess")):
        fail("device 2 got no TLS session ticket from the broker")
    rc, out = s_client("-tls1_3", "-cert", j("dev2.pem"), "-key", j("dev2.key"), "-sess_in",
                       j("dev2.sess"))
    if rc != 0 or "Reused" not in out:
        fail(f"the control: device 2 could not resume with its ticket: {out[-500:]}")
    holds = [hold(1000, "--client-id", ids[2] + "-other", "--intruder", j("dev3"),
                  "--kicked", "1")]
    t0 = time.time()
    st, js, _ = http(inst.http_port, "POST", f"/v1/devices/{ids[2]}/revoke", token=inst.token)
    took = time.time() - t0
    if st != 200 or not js["revoked"] or not js["broker_denied"]:
        fail(f"revoke: {st} {js}")
    ok(f"revoke answered 200 with broker_denied in {took * 1000:.0f} ms, once the broker "
       "was told")
    for h in holds:
        h.stdin.write("go\n")
        h.stdin.flush()
    for h in holds:
        out, _ = h.communicate(timeout=60)
        print(out, end="")
        if h.returncode != 0:
            fail("a revoked device's live session was not ended or muted")
    ok("device 3's certificate asking for device 2's client id did not end device 2's "
       "session; device 2, asking for another client id, got its own and, revoked while "
       "connected and subscribed, its session is ended: nothing reaches it, nothing it "
       "publishes reaches anyone, its log batch gets no ack")
    st, js, _ = http(inst.http_port, "GET", f"/v1/devices/{ids[2]}/logs?limit=1000",
                     token=inst.token)
    seqs = {r["seq"] for r in js["items"]} if st == 200 else None
    if seqs is None or not {1000, 1001, 1002} <= seqs or seqs & {1100, 1101, 1102}:
        fail(f"device 2's logs: {st} {sorted(seqs or [])}")
    ok("its batches from before the revocation are stored, the ones from after are not")
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev2"))
    ok("after revocation the broker denies device 2 every topic when it reconnects")
    revoked_in_tls(2)
    ok("and refuses it in the TLS handshake: s_client sees 'certificate revoked'; openssl "
       "verify -crl_check finds device 2 in DIR/crl.pem and devices 0 and 1 not")
    # resumption would skip the certificate and so the CRL: the broker's
    # reload on revocation must have made the old ticket worthless
    rc, out = s_client("-tls1_3", "-ign_eof", "-cert", j("dev2.pem"), "-key", j("dev2.key"),
                       "-sess_in", j("dev2.sess"))
    if rc == 0 or "Reused" in out or "alert certificate revoked" not in out:
        fail(f"device 2 resumed a session from before its revocation: {out[-500:]}")
    ok("its session ticket from before the revocation is not honoured: a full handshake, "
       "refused")
    devsim("probe", "--port", port, "--ca", ca, "--a", j("dev0"), "--b", j("dev1"))
    ok("the other devices are unaffected")

    # ---- the broker cannot be told: 503, and applied once it can -------------------------
    real_pid = open(pidfile).read()
    dead = subprocess.Popen(["true"])
    dead.wait()
    open(pidfile, "w").write(f"{dead.pid}\n")
    st, js, _ = http(inst.http_port, "POST", f"/v1/devices/{ids[3]}/revoke", token=inst.token)
    if st != 503 or (js or {}).get("error", {}).get("code") != "broker_not_updated":
        fail(f"revoke with a stale pidfile: {st} {js}")
    js = device(3)
    if not js["revoked"] or js["broker_denied"]:
        fail(f"device 3 after the 503: {js}")
    ok("a stale pidfile: revoke answers 503 broker_not_updated; the device is revoked in "
       "the database, broker_denied false")
    os.remove(pidfile)
    st, js, _ = http(inst.http_port, "POST", f"/v1/devices/{ids[3]}/revoke", token=inst.token)
    if st != 503 or (js or {}).get("error", {}).get("code") != "broker_not_updated":
        fail(f"revoke with no pidfile: {st} {js}")
    ok("no pidfile: 503 broker_not_updated again")
    open(pidfile, "w").write(real_pid)
    real_pid = None
    until("keel-cloud tells the broker once it can", lambda: device(3)["broker_denied"])
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev3"))
    st, js, _ = http(inst.http_port, "POST", f"/v1/devices/{ids[3]}/revoke", token=inst.token)
    if st != 200 or not js["broker_denied"]:
        fail(f"the repeated revoke: {st} {js}")
    ok("with the pidfile back keel-cloud signals the broker by itself: device 3 is denied, "
       "and the repeated revoke answers 200")

    # ---- startup reconciliation ----------------------------------------------------------
    stop_cloud()
    # while keel-cloud is down the database and the file diverge both ways:
    # device 4 is revoked only in the database (a crash between the UPDATE
    # and the write, or an instance elsewhere), and the file is put back to
    # one without any revocation, which the broker is made to load
    sql(f"UPDATE devices SET revoked_ms = 1 WHERE id = '{ids[4]}'")
    acl = j("instance", "acl")
    text = open(acl).read()
    if f"user {ids[2]}\ntopic deny #" not in text or f"user {ids[3]}\n" not in text:
        fail(f"ACL before the restart: {text}")
    open(acl, "w").write("user keel-cloud\ntopic readwrite devices/#\n\n"
                         "pattern readwrite devices/%u/#\n")
    subprocess.run([BROKER, "reload", inst.dir], check=True)
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev4"), want=1)
    ok("with keel-cloud stopped: device 4 revoked only in the database, the ACL emptied and "
       "reloaded; device 4 still works (the divergence is real)")
    inst.serve(extra_env=ENV)
    until("the ACL rebuilt at start",
          lambda: all(f"user {ids[i]}\ntopic deny #" in open(acl).read() for i in (2, 3, 4)))
    until("device 4 marked", lambda: device(4)["broker_denied"])
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev2"), "--refused", j("dev3"),
           "--refused", j("dev4"))
    ok("keel-cloud rebuilt the ACL from the database at start and reloaded the broker: "
       "devices 2, 3 and 4 are denied")
    os.remove(acl)
    until("DIR/acl written again", lambda: os.path.exists(acl), seconds=5)
    ok("a removed DIR/acl is written again within a second")
    issued = crl_issued()
    os.remove(j("instance", "crl.pem"))
    until("DIR/crl.pem written again", lambda: os.path.exists(j("instance", "crl.pem")),
          seconds=5)
    if crl_issued() <= issued:
        fail("the rewritten DIR/crl.pem is not issued after the one it replaces")
    ok("a removed DIR/crl.pem is written again within a second, issued later")
    devsim("probe", "--port", port, "--ca", ca, "--a", j("dev0"), "--b", j("dev1"))
    ok("devices 0 and 1 still work")

    # a restarted broker reads the same ACL: revocation outlives it
    inst.stop_broker()
    inst.start_broker()
    devsim("probe", "--port", port, "--ca", ca, "--refused", j("dev2"))
    for i in (2, 3, 4):
        revoked_in_tls(i)
    ok("the revocation survives a broker restart, in the TLS handshake too (devices 2, 3, 4)")
finally:
    if real_pid:  # so that keel-broker stop stops the real broker
        open(pidfile, "w").write(real_pid)
    inst.stop()
    if pg:
        pg.stop()
print("broker: all checks hold")
