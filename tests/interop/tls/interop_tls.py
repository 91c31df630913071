#!/usr/bin/env python3
"""TLS 1.3 interop: microvisor/tls's client (tls_peer) against openssl
s_server and gnutls-serv on loopback.

The certificates are made here with the openssl command (`openssl req` for
keys and requests, `openssl ca` to issue with chosen dates and extensions):
a fleet CA, the server's leaf for cloud.keel.test, a device certificate for
client authentication, and one bad server chain of each kind. Every server
runs on 127.0.0.1 on a free port and is killed when its case ends. When the
kernel allows it, the whole run happens in a private network namespace with
only loopback (gnutls-serv cannot be told to bind to 127.0.0.1).

usage: interop_tls.py TLS_PEER [X509_TOOL [TLS_PEER_LOWLIMIT]]
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "cloud.keel.test"
NOW = int(time.time())


def sh(*args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


class Pki:
    """Keys and certificates in a scratch directory."""

    def __init__(self, d):
        self.d = d
        os.makedirs(f"{d}/db", exist_ok=True)
        open(f"{d}/db/index.txt", "w").close()
        with open(f"{d}/db/serial", "w") as f:
            f.write("1000\n")
        with open(f"{d}/ca.cnf", "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = db/index.txt\n"
                    "new_certs_dir = db\nserial = db/serial\ndefault_md = default\n"
                    "policy = p\nunique_subject = no\ncopy_extensions = none\n"
                    "[p]\ncommonName = supplied\n")

    def p(self, name):
        return os.path.join(self.d, name)

    def key(self, name, alg="ed25519"):
        if alg == "ed25519":
            sh("openssl", "genpkey", "-algorithm", "ed25519", "-out", self.p(name + ".key"))
        elif alg == "rsa":
            sh("openssl", "genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048",
               "-out", self.p(name + ".key"))
        else:
            sh("openssl", "genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-out", self.p(name + ".key"))
        return self.p(name + ".key")

    def issue(self, name, cn, issuer, ext, start="20200101000000Z", end="20991231000000Z",
              alg="ed25519"):
        """name.pem / name.der for a new key, issued by issuer (a name
        issued here before, or None for self-signed)."""
        self.key(name, alg)
        sh("openssl", "req", "-new", "-key", self.p(name + ".key"), "-subj", "/CN=" + cn,
           "-out", self.p(name + ".csr"))
        with open(self.p(name + ".ext"), "w") as f:
            f.write("[x]\n" + "\n".join(ext) + "\n")
        args = ["openssl", "ca", "-batch", "-config", "ca.cnf", "-notext",
                "-in", name + ".csr", "-out", name + ".pem", "-startdate", start,
                "-enddate", end, "-extfile", name + ".ext", "-extensions", "x"]
        if issuer:
            args += ["-cert", issuer + ".pem", "-keyfile", issuer + ".key"]
        else:
            args += ["-selfsign", "-keyfile", name + ".key"]
        sh(*args, cwd=self.d)
        sh("openssl", "x509", "-in", self.p(name + ".pem"), "-outform", "DER",
           "-out", self.p(name + ".der"))
        return self.p(name + ".pem")

    def seed(self, name):
        """The raw 32-byte Ed25519 seed of name.key (end of its PKCS#8 DER)."""
        der = subprocess.run(["openssl", "pkey", "-in", self.p(name + ".key"), "-outform", "DER"],
                             capture_output=True, check=True).stdout
        with open(self.p(name + ".seed"), "wb") as f:
            f.write(der[-32:])
        return self.p(name + ".seed")

    def chain(self, name, parts):
        with open(self.p(name + ".chain.pem"), "w") as out:
            for part in parts:
                with open(self.p(part + ".pem")) as f:
                    out.write(f.read())
        return self.p(name + ".chain.pem")


CA_EXT = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]
LEAF_EXT = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth", "subjectAltName=DNS:" + HOST]


def make_pki(d):
    k = Pki(d)
    k.issue("ca", "Keel fleet CA", None, CA_EXT)
    k.issue("leaf", HOST, "ca", LEAF_EXT)
    k.issue("dev", "UV0123456789ABCDEF0123456789ABCDEF", "ca",
            ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
             "extendedKeyUsage=clientAuth"])
    k.seed("dev")
    # The bad server certificates, one per refusal.
    k.issue("expired", HOST, "ca", LEAF_EXT, "20200101000000Z", "20210101000000Z")
    k.issue("future", HOST, "ca", LEAF_EXT, "20990101000000Z", "21000101000000Z")
    k.issue("otherca", "Other CA", None, CA_EXT)
    k.issue("other_leaf", HOST, "otherca", LEAF_EXT)
    k.issue("samename_ca", "Keel fleet CA", None, CA_EXT)  # same name, other key
    k.issue("forged_leaf", HOST, "samename_ca", LEAF_EXT)
    k.issue("wrongname", "other.keel.test", "ca", LEAF_EXT[:3] + ["subjectAltName=DNS:other.keel.test"])
    k.issue("critical", HOST, "ca", LEAF_EXT + ["1.3.6.1.4.1.55555.1=critical,DER:05:00"])
    k.issue("notca_int", "Not a CA", "ca", ["basicConstraints=critical,CA:FALSE"])
    k.issue("notca_leaf", HOST, "notca_int", LEAF_EXT)
    k.issue("int1", "Intermediate 1", "ca", CA_EXT)
    k.issue("int2", "Intermediate 2", "int1", CA_EXT)
    k.issue("int3", "Intermediate 3", "int2", CA_EXT)
    k.issue("deep_leaf", HOST, "int3", LEAF_EXT)
    k.issue("int_ok", "Intermediate", "ca", CA_EXT + ["basicConstraints=critical,CA:TRUE,pathlen:0"][0:0])
    k.issue("via_int", HOST, "int_ok", LEAF_EXT)
    k.issue("rsa_int", "RSA intermediate", "ca", CA_EXT, alg="rsa")
    k.issue("ec_int", "P-256 intermediate", "ca", CA_EXT, alg="ec")
    # A leaf whose signature is broken: one bit of it flipped.
    with open(k.p("leaf.der"), "rb") as f:
        der = bytearray(f.read())
    der[-1] ^= 1
    with open(k.p("badsig.der"), "wb") as f:
        f.write(der)
    sh("openssl", "x509", "-inform", "DER", "-in", k.p("badsig.der"), "-out", k.p("badsig.pem"))
    shutil.copy(k.p("leaf.key"), k.p("badsig.key"))
    return k


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A server process with its output collected line by line."""

    def __init__(self, args, ready):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.out = []
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.wait_for(ready, 10):
            self.stop()
            raise RuntimeError(f"{args[0]} did not start: {''.join(self.out)}")

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.out.append(line)
                self.lock.notify_all()

    def wait_for(self, text, timeout=10):
        end = time.time() + timeout
        with self.lock:
            while not any(text in l for l in self.out):
                left = end - time.time()
                if left <= 0 or (self.proc.poll() is not None and not self.out):
                    return False
                self.lock.wait(min(left, 0.2))
            return True

    def write(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def s_server(k, port, cert="leaf", chain=None, suite="chacha", auth=True, extra=()):
    cs = "TLS_CHACHA20_POLY1305_SHA256" if suite == "chacha" else "TLS_AES_128_GCM_SHA256"
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-tls1_3",
            "-ciphersuites", cs, "-cert", k.p(cert + ".pem"), "-key", k.p(cert + ".key"),
            "-ign_eof"]
    if chain:
        args += ["-cert_chain", chain]
    if auth:
        args += ["-Verify", "1", "-verify_return_error", "-CAfile", k.p("ca.pem")]
    return Server(args + list(extra), "ACCEPT")


def gnutls_serv(k, port, suite="chacha", auth=True):
    cipher = "+CHACHA20-POLY1305" if suite == "chacha" else "+AES-128-GCM"
    args = ["gnutls-serv", "--port", str(port), "--echo",
            "--priority", f"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:{cipher}",
            "--x509certfile", k.p("leaf.pem"), "--x509keyfile", k.p("leaf.key")]
    if auth:
        args += ["--require-client-cert", "--verify-client-cert", "--x509cafile", k.p("ca.pem")]
    return Server(args, "listening")


class Case:
    failures = []

    def __init__(self, name):
        self.name = name

    def check(self, cond, what):
        if not cond:
            Case.failures.append(f"{self.name}: {what}")
            print(f"FAIL {self.name}: {what}", flush=True)
        return cond


def peer_args(peer, k, port, auth=True, suite=None, time_s=NOW, expect=None):
    args = [peer, "--port", str(port), "--host", HOST, "--anchor", k.p("ca.der")]
    if auth:
        args += ["--cert", k.p("dev.der"), "--seed", k.p("dev.seed")]
    if suite:
        args += ["--suite", suite]
    if time_s is not None:
        args += ["--time", str(time_s)]
    if expect:
        args += ["--expect-error", expect]
    return args


def run_peer(case, args, steps, server=None, script=()):
    """Runs tls_peer; `script` is what the server side does meanwhile:
    ("wait", text) for the server to print text, ("write", text) to its
    stdin."""
    proc = subprocess.Popen(args + list(steps), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ok = True
    for action, text in script:
        if action == "wait":
            ok = case.check(server.wait_for(text, 15), f"server never saw {text!r}") and ok
        else:
            server.write(text)
        if not ok:
            break
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        case.check(False, "tls_peer timed out")
        return None
    if case.check(proc.returncode == 0,
                  f"tls_peer exit {proc.returncode}: {out.strip()} {err.strip()}"):
        print(f"ok   {case.name}: {' | '.join(out.split(chr(10))).strip(' |')}", flush=True)
    return out


def test_good(peer, k):
    for suite, code in (("chacha", "0x1303"), ("aes", "0x1301")):
        case = Case(f"s_server {suite} mutual auth")
        port = free_port()
        srv = s_server(k, port, suite=suite)
        try:
            out = run_peer(case, peer_args(peer, k, port),
                           ["send:hello-from-keel", "expect:hello-from-openssl", "close"],
                           srv, [("wait", "hello-from-keel"), ("write", "hello-from-openssl\n")])
            case.check(out and f"suite={code}" in out, f"suite {code} not negotiated: {out}")
            case.check(out and "mfl=1" in out, "max_fragment_length not acknowledged")
            case.check(srv.wait_for("Client certificate", 1) or
                       srv.wait_for("subject=", 1), "server saw no client certificate")
        finally:
            srv.stop()
        case = Case(f"gnutls-serv {suite} mutual auth")
        port = free_port()
        srv = gnutls_serv(k, port, suite=suite)
        try:
            out = run_peer(case, peer_args(peer, k, port),
                           ["send:echo-me", "expect:echo-me", "keyupdate-req", "send:after-update",
                            "expect:after-update", "close"])
            case.check(out and f"suite={code}" in out, f"suite {code} not negotiated: {out}")
        finally:
            srv.stop()


def test_client_auth_required(peer, k):
    case = Case("s_server refuses a client without a certificate")
    port = free_port()
    srv = s_server(k, port)
    try:
        # The handshake completes on our side; the server's refusal
        # (certificate_required) arrives with the first read.
        run_peer(case, peer_args(peer, k, port, auth=False, expect="alert:certificate_required"),
                 ["expect:never"])
    finally:
        srv.stop()


def test_hrr(peer, k):
    for suite in ("chacha", "aes"):
        case = Case(f"s_server -stateless HelloRetryRequest {suite}")
        port = free_port()
        srv = s_server(k, port, suite=suite, extra=["-stateless"])
        try:
            out = run_peer(case, peer_args(peer, k, port),
                           ["send:after-hrr", "expect:reply", "close"],
                           srv, [("wait", "after-hrr"), ("write", "reply\n")])
            case.check(out and "hrr=1" in out, "no HelloRetryRequest happened")
        finally:
            srv.stop()


def test_key_update(peer, k):
    """KeyUpdate both ways. Every step waits on an event, never on time:
    s_server takes a stdin command only when the command is all its read
    returns, so each line is written only after the client has shown it
    got the previous one (it sends "got-srv1", then "got-ku" once the
    server's KeyUpdate changed its read key; s_server's own "KEY UPDATE"
    line is stdio-buffered and arrives late); under load, lines written
    back to back used to reach s_server in one read, and the K went out
    as data."""
    for suite in ("chacha", "aes"):
        case = Case(f"s_server KeyUpdate both ways {suite}")
        port = free_port()
        srv = s_server(k, port, suite=suite)
        try:
            run_peer(case, peer_args(peer, k, port),
                     ["send:ping1", "expect:srv1", "send:got-srv1", "expect-keyupdate",
                      "send:got-ku", "expect:srv2", "send:ping2",
                      "keyupdate-req", "send:ping3", "expect:srv3", "keyupdate", "send:ping4",
                      "close"],
                     srv, [("wait", "ping1"), ("write", "srv1\n"), ("wait", "got-srv1"),
                           ("write", "K\n"), ("wait", "got-ku"), ("write", "srv2\n"),
                           ("wait", "ping2"), ("wait", "ping3"), ("write", "srv3\n"),
                           ("wait", "ping4")])
        finally:
            srv.stop()


def test_key_limit(peer_low, k):
    """tls_peer_lowlimit: the same engine with every key limited to 40
    records (margin 8). 100 lines make it change its sending key by itself
    (a KeyUpdate before each limit); s_server (-msg) must receive the
    KeyUpdates and every line under the new keys."""
    if not peer_low:
        return
    for suite in ("chacha", "aes"):
        case = Case(f"s_server key limit: automatic KeyUpdate {suite}")
        port = free_port()
        srv = s_server(k, port, suite=suite, extra=["-msg"])
        try:
            lines = [f"send:line-{i:03d}" for i in range(100)]
            out = run_peer(case, peer_args(peer_low, k, port),
                           lines + ["send:last", "expect:bye", "close"],
                           srv, [("wait", "line-099"), ("wait", "last"), ("write", "bye\n")])
            with srv.lock:
                text = "".join(srv.out)
            got = [i for i in range(100) if f"line-{i:03d}" in text]
            case.check(len(got) == 100, f"s_server saw {len(got)} of 100 lines")
            updates = sum(1 for l in text.splitlines() if l.startswith("<<<") and "KeyUpdate" in l)
            case.check(updates >= 2, f"s_server received {updates} KeyUpdates, expected >= 2")
            case.check(out is not None and "auto_keyupdates=" in out and
                       "auto_keyupdates=0" not in out, f"no automatic KeyUpdate: {out}")
        finally:
            srv.stop()


def test_resumption(peer, k):
    """A ticket from a full handshake resumes the next connection; a
    tampered or expired ticket falls back to a full handshake."""
    for name, make in (("s_server", s_server), ("gnutls-serv", gnutls_serv)):
        for suite in ("chacha", "aes"):
            case = Case(f"{name} {suite} resumption")
            port = free_port()
            srv = make(k, port, suite=suite)
            store = k.p(f"tickets-{name}-{suite}")
            echo = make is gnutls_serv

            def conn(tag, extra=(), want_resumed=None):
                args = peer_args(peer, k, port) + ["--tickets", store] + list(extra)
                script = [] if echo else [("wait", f"hi-{tag}"), ("write", f"ack-{tag}\n")]
                want = f"hi-{tag}" if echo else f"ack-{tag}"
                out = run_peer(case, args, [f"send:hi-{tag}", f"expect:{want}", "close"],
                               srv, script)
                if out is not None and want_resumed is not None:
                    case.check(f"resumed={want_resumed}" in out,
                               f"{tag}: expected resumed={want_resumed}: {out}")
                    case.check("tickets 0" not in out, f"{tag}: no ticket kept: {out}")
                return out

            try:
                if os.path.exists(store):
                    os.remove(store)
                conn("full", want_resumed=0)
                conn("resumed", want_resumed=1)
                conn("again", want_resumed=1)
                conn("tampered", ["--tamper-tickets"], want_resumed=0)
                # A day later: past OpenSSL's and GnuTLS's lifetimes (2 h and
                # 6 h by default), so the ticket is dropped, not offered.
                conn("expired", ["--age-tickets", "86400"], want_resumed=0)
            finally:
                srv.stop()


BAD = [
    # (case, server cert, extra chain, tls_peer time, expected error)
    ("expired", "expired", None, NOW, "x509:expired"),
    ("expired, time unknown (build-time policy)", "expired", None, None, "x509:expired"),
    ("not yet valid", "future", None, NOW, "x509:not_yet_valid"),
    ("another CA", "other_leaf", None, NOW, "x509:unknown_ca"),
    ("a CA with the anchor's name, other key", "forged_leaf", None, NOW, "x509:bad_signature"),
    ("wrong name", "wrongname", None, NOW, "x509:name_mismatch"),
    ("bad signature", "badsig", None, NOW, "x509:bad_signature"),
    ("unknown critical extension", "critical", None, NOW, "x509:unknown_critical_extension"),
    ("CA:false intermediate", "notca_leaf", ["notca_int"], NOW, "x509:not_ca"),
    ("chain too deep", "deep_leaf", ["int3", "int2", "int1"], NOW, "tls:chain_too_deep"),
    ("RSA key in the chain", "leaf", ["rsa_int"], NOW, "x509:key_rsa"),
    ("P-256 key in the chain", "leaf", ["ec_int"], NOW, "x509:key_ec"),
]


def test_bad_certs(peer, k):
    for name, cert, chain, t, expect in BAD:
        case = Case("refuses: " + name)
        port = free_port()
        srv = s_server(k, port, cert=cert, chain=k.chain(cert, chain) if chain else None)
        try:
            out = run_peer(case, peer_args(peer, k, port, time_s=t, expect=expect), [])
            # The alert we sent ends the server's handshake.
            alert = {"x509:expired": "certificate expired",
                     "x509:not_yet_valid": "certificate expired",
                     "x509:unknown_ca": "unknown ca",
                     "x509:unknown_critical_extension": "unsupported certificate",
                     "x509:key_rsa": "unsupported certificate",
                     "x509:key_ec": "unsupported certificate"}.get(expect, "bad certificate")
            case.check(srv.wait_for(alert, 5), f"server did not see alert {alert!r}")
        finally:
            srv.stop()
    # Accepted: a not-yet-valid certificate while time is unknown (the
    # documented policy), and a chain through one intermediate.
    for name, cert, chain, t in (("future, time unknown", "future", None, None),
                                 ("one intermediate", "via_int", ["int_ok"], NOW)):
        case = Case("accepts: " + name)
        port = free_port()
        srv = s_server(k, port, cert=cert, chain=k.chain(cert, chain) if chain else None)
        try:
            run_peer(case, peer_args(peer, k, port, time_s=t), ["send:ok", "close"],
                     srv, [("wait", "ok")])
        finally:
            srv.stop()


def fake_server(behaviour):
    """A raw TCP server that reads the ClientHello and then misbehaves."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)

    def serve():
        conn, _ = ls.accept()
        conn.recv(4096)
        behaviour(conn)
        conn.close()
        ls.close()

    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


def test_misbehaving(peer, k):
    case = Case("server closes mid-handshake")
    port = fake_server(lambda conn: None)
    run_peer(case, peer_args(peer, k, port, expect="tls:eof"), [])
    case = Case("server sends a record larger than negotiated")
    port = fake_server(lambda conn: conn.sendall(bytes([22, 3, 3, 0x40, 0]) + b"\0" * 64))
    run_peer(case, peer_args(peer, k, port, expect="tls:record_overflow"), [])
    case = Case("server answers with TLS 1.2 alert")
    port = fake_server(lambda conn: conn.sendall(bytes([21, 3, 3, 0, 2, 2, 70])))
    run_peer(case, peer_args(peer, k, port, expect="alert:protocol_version"), [])


def make_x509_cases(k):
    """Certificates for the X.509 verdicts that a TLS server cannot be
    made to send (keys it could not sign with) or that need no server."""
    k.issue("rsa_leaf", HOST, "ca", LEAF_EXT, alg="rsa")
    k.issue("ec_leaf", HOST, "ca", LEAF_EXT, alg="ec")
    k.issue("rsa_ca", "RSA CA", None, CA_EXT, alg="rsa")
    k.issue("rsa_signed", HOST, "rsa_ca", LEAF_EXT)
    k.issue("p0_ca", "Path 0", "ca", ["basicConstraints=critical,CA:TRUE,pathlen:0",
                                        "keyUsage=critical,keyCertSign"])
    k.issue("p0_sub", "Under path 0", "p0_ca", CA_EXT)
    k.issue("p0_leaf", HOST, "p0_sub", LEAF_EXT)
    k.issue("p0_direct", HOST, "p0_ca", LEAF_EXT)
    k.issue("nosign_ca", "No keyCertSign", "ca", ["basicConstraints=critical,CA:TRUE",
                                                  "keyUsage=critical,digitalSignature"])
    k.issue("nosign_leaf", HOST, "nosign_ca", LEAF_EXT)
    k.issue("client_only", HOST, "ca", LEAF_EXT[:2] + ["extendedKeyUsage=clientAuth",
                                                       "subjectAltName=DNS:" + HOST])
    k.issue("ku_enc", HOST, "ca", ["keyUsage=critical,keyEncipherment",
                                   "subjectAltName=DNS:" + HOST])
    k.issue("case_name", HOST, "ca", LEAF_EXT[:3] + ["subjectAltName=DNS:Cloud.KEEL.test"])
    k.issue("cn_only", HOST, "ca", LEAF_EXT[:3])
    k.issue("many_names", HOST, "ca", LEAF_EXT[:3] + [
        "subjectAltName=DNS:a.keel.test,IP:127.0.0.1,DNS:" + HOST])
    k.issue("noncrit_unknown", HOST, "ca", LEAF_EXT + ["1.3.6.1.4.1.55555.2=DER:05:00"])


X509_CASES = [
    # (case, files (leaf first), time, expected verdict)
    ("an RSA leaf key", ["rsa_leaf"], NOW, "key_rsa"),
    ("a P-256 leaf key", ["ec_leaf"], NOW, "key_ec"),
    ("an RSA signature", ["rsa_signed"], NOW, "signature_algorithm"),
    ("pathlen 0 with an intermediate below", ["p0_leaf", "p0_sub", "p0_ca"], NOW, "path_length"),
    ("pathlen 0 issuing a leaf", ["p0_direct", "p0_ca"], NOW, "ok"),
    ("an issuer without keyCertSign", ["nosign_leaf", "nosign_ca"], NOW, "key_usage"),
    ("a leaf for clientAuth only", ["client_only"], NOW, "extended_key_usage"),
    ("a leaf without digitalSignature", ["ku_enc"], NOW, "key_usage"),
    ("a name in another case", ["case_name"], NOW, "ok"),
    ("a name in the CN only", ["cn_only"], NOW, "name_mismatch"),
    ("the name third in subjectAltName", ["many_names"], NOW, "ok"),
    ("an unknown non-critical extension", ["noncrit_unknown"], NOW, "ok"),
    ("the good leaf", ["leaf"], NOW, "ok"),
    ("the good leaf, time unknown", ["leaf"], None, "ok"),
    ("expired", ["expired"], NOW, "expired"),
    ("the anchor repeated at the end", ["leaf", "ca"], NOW, "ok"),
]


def test_x509(tool, k):
    make_x509_cases(k)
    for name, files, t, expect in X509_CASES:
        case = Case("x509: " + name)
        args = [tool, "--anchor", k.p("ca.der"), "--host", HOST]
        if t is not None:
            args += ["--time", str(t)]
        r = subprocess.run(args + [k.p(f + ".der") for f in files], capture_output=True,
                           text=True)
        got = r.stdout.strip()
        if case.check(r.returncode == 0 and got == expect,
                      f"verdict {got!r} (exit {r.returncode}), expected {expect!r} {r.stderr}"):
            print(f"ok   {case.name}: {got}", flush=True)
    case = Case("x509: every truncation refused")
    files = [k.p(f + ".der") for f in ("ca", "leaf", "dev", "deep_leaf", "int1", "via_int",
                                      "many_names", "noncrit_unknown")]
    r = subprocess.run([tool, "--truncate"] + files, capture_output=True, text=True)
    if case.check(r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr):
        print(f"ok   {case.name}", flush=True)


def main():
    peer = os.path.abspath(sys.argv[1])
    tool = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    peer_low = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None
    if os.environ.get("KEEL_NETNS") is None and shutil.which("unshare"):
        probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
        if probe.returncode == 0:
            env = dict(os.environ, KEEL_NETNS="1")
            return subprocess.call(["unshare", "-rn", "sh", "-c",
                                    'ip link set lo up && exec "$0" "$@"',
                                    sys.executable] + sys.argv, env=env)
    with tempfile.TemporaryDirectory() as d:
        k = make_pki(d)
        only = os.environ.get("TLS_CASES")
        for test in (test_good, test_client_auth_required, test_hrr, test_key_update,
                     test_resumption, test_bad_certs, test_misbehaving):
            if only and test.__name__ not in only.split(","):
                continue
            test(peer, k)
        if not only or "test_key_limit" in only:
            test_key_limit(peer_low, k)
        if tool and (not only or "test_x509" in only):
            test_x509(tool, k)
    if Case.failures:
        print(f"{len(Case.failures)} failure(s)")
        return 1
    print("interop_tls: all cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
