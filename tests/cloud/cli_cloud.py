#!/usr/bin/env python3
"""The keel CLI's cloud verbs against a running keel-cloud, with HOME in a
temp dir: login (token file mode 0600), apps, devices, deploy, deployments,
logs (paged and -f), config, secret; -o json, tables, TSV when piped, and
the exit codes 0 / 1 / 2 / 4.

    cli_cloud.py CLOUD KEEL DEVSIM
"""
import json
import os
import stat
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import Instance, fail, http, ok, tempdir  # noqa: E402

CLOUD, KEEL, DEVSIM = sys.argv[1:4]
tmp = tempdir("cli")
j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
os.makedirs(j("home"))
ENV = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
ENV["HOME"] = j("home")
inst = Instance(CLOUD, tmp)
URL = f"http://127.0.0.1:{inst.http_port}"


def keel(*args, want=0, stdin=None, env=None, err=None):
    p = subprocess.run([KEEL, *args], capture_output=True, text=True, input=stdin,
                       env=env or ENV, timeout=60)
    if p.returncode != want:
        fail(f"keel {' '.join(args)}: exit {p.returncode}, want {want}\n{p.stdout}{p.stderr}")
    if err and err not in p.stderr:
        fail(f"keel {' '.join(args)}: stderr {p.stderr!r} lacks {err!r}")
    return p.stdout


try:
    inst.serve()
    keel("login", URL, "--token", "keel_" + "1" * 64, want=4, err="token_invalid")
    keel("apps", "list", want=4, err="keel login")
    ok("not logged in / bad token: exit 4")
    # a folder left world-writable by another tool or a umask of 000 is
    # narrowed before the token goes in
    os.makedirs(j("home", ".config", "keel"), exist_ok=True)
    os.chmod(j("home", ".config", "keel"), 0o777)
    keel("login", URL, stdin=inst.token + "\n")
    cfg = j("home", ".config", "keel", "config")
    if stat.S_IMODE(os.stat(cfg).st_mode) != 0o600 or \
            stat.S_IMODE(os.stat(os.path.dirname(cfg)).st_mode) != 0o700:
        fail("the login file is not 0600 in a 0700 folder")
    if json.load(open(cfg))["url"] != URL:
        fail("login file")
    ok("keel login: token kept in ~/.config/keel/config, mode 0600")
    if keel("apps", "list", "-o", "json") .strip() != "[]" or keel("apps", "list") != "":
        fail("an empty list")
    ok("an empty list: exit 0, [] in JSON, nothing on stdout as a table")

    subprocess.run([KEEL, "keygen", j("k.pem")], check=True, capture_output=True)
    sg = json.loads(keel("signers", "add", "release", j("k.pem.pub"), "-o", "json"))
    if keel("signers", "list").split("\t")[2].strip() != sg["kid"]:
        fail("signers list")
    ok("signers add / list")
    payload = bytes(range(256)) * 40
    open(j("a.img"), "wb").write(struct.pack("<6I", 0x4C45454B, 64, 2, 0x00200000, len(payload),
                                             1 << 16) + bytes(40) + payload)
    subprocess.run([KEEL, "bundle", "--kind", "app", "--version", "1.2.3", "--counter", "1",
                    "--key", j("k.pem"), j("a.img"), j("a.kb")], check=True, capture_output=True)
    app = json.loads(keel("apps", "create", "blinky", j("a.kb"), "-o", "json"))
    if app["name"] != "blinky" or app["version"] != "1.2.3":
        fail(f"apps create: {app}")
    keel("apps", "create", "again", j("a.kb"), want=1, err="already_exists")
    rows = keel("apps", "list").splitlines()
    if rows != [f"{app['id']}\tblinky\t1.2.3\t{app['size']}\t{app['hash']}"]:
        fail(f"apps list (piped, TSV): {rows}")
    if json.loads(keel("apps", "show", str(app["id"]), "-o", "json"))["hash"] != app["hash"]:
        fail("apps show")
    ok("apps create (upload) / list (TSV when piped) / show; a duplicate exits 1")

    subprocess.run([DEVSIM, "certs", "--ca", j("instance", "ca.pem"), "--ca-key",
                    j("instance", "ca.key"), "--out", j("d"), "--count", "1"], check=True,
                   capture_output=True)
    subprocess.run([DEVSIM, "run", "--port", str(inst.mqtt_port), "--ca", j("instance", "ca.pem"),
                    "--certs", j("d"), "--devices", "1", "--records", "5"], check=True,
                   capture_output=True)
    devs = json.loads(keel("devices", "list", "-o", "json"))
    D = devs[0]["id"]
    keel("devices", "rename", D, "Küche")
    keel("devices", "tag", D, "lab", "eu")
    js = json.loads(keel("devices", "show", D, "-o", "json"))
    if js["name"] != "Küche" or js["tags"] != ["lab", "eu"]:
        fail(f"devices: {js}")
    if D not in keel("devices", "list", "--tag", "lab"):
        fail("devices list --tag")
    keel("devices", "show", "UV123", want=1, err="id_invalid")
    if json.loads(keel("devices", "faults", D, "-o", "json")) != []:
        fail("a device that reported no fault has faults")
    ok("devices list / show / rename / tag")

    dep = json.loads(keel("deploy", str(app["id"]), "--device", D, "-o", "json"))
    if dep["state"] != "pending" or dep["device_id"] != D:
        fail(f"deploy: {dep}")
    keel("deploy", str(app["id"]), want=2)
    byname = json.loads(keel("deploy", "blinky", "--tag", "lab", "-o", "json"))
    if byname["app_id"] != app["id"]:
        fail(f"deploy by name: {byname}")
    keel("deploy", "nosuchapp", "--tag", "lab", want=1, err="no apps named")
    if len(json.loads(keel("deployments", "list", "-o", "json"))) != 2:
        fail("deployments list")
    keel("deployments", "show", str(dep["id"]))
    keel("apps", "delete", str(app["id"]), want=1, err="app_in_use")
    ok("deploy by id --device / by name --tag, deployments list / show; usage errors exit 2")

    out = keel("logs", D).splitlines()
    if len(out) != 5 or not out[0].endswith(f"#1 sim {D} record 1"):
        fail(f"logs: {out}")
    if keel("logs", D, "--since", "1h") != "\n".join(out) + "\n":
        fail("logs --since 1h")
    lines = [json.loads(x) for x in keel("logs", D, "-o", "json").splitlines()]
    if [r["seq"] for r in lines] != [1, 2, 3, 4, 5]:
        fail("logs -o json")
    keel("logs", D, "--since", "soon", want=2)
    f = subprocess.Popen([KEEL, "logs", D, "-f"], stdout=subprocess.PIPE, text=True, env=ENV)
    first = f.stdout.readline()
    f.terminate()
    f.wait()
    if "record 1" not in first:
        fail(f"logs -f: {first!r}")
    ok("logs (paged, --since, -o json) and logs -f (server-sent events)")

    # A device's text reaches the operator's terminal: escape sequences are
    # shown, not obeyed; -o json keeps the text exact. The record is sent as
    # device 0 (its real certificate) in lib/proto's log batch format.
    evil = "\x1b]0;owned\x07\x1b[2J\r\x7f\u009b31m back\\slash"
    batch = (b"\xa4\x00\x01\x01\x03\x02\x06\x03\x81\x83\x18\x3c\x01" +
             bytes([0x78, len(evil.encode())]) + evil.encode())
    open(j("evil.cbor"), "wb").write(batch)
    subprocess.run([DEVSIM, "raw", "--port", str(inst.mqtt_port), "--ca", j("instance", "ca.pem"),
                    "--cert", j("d0.pem"), "--key", j("d0.key"), "--wait", "3000",
                    "logs=" + j("evil.cbor")], check=True, capture_output=True, timeout=60)
    shown = keel("logs", D).splitlines()[-1]
    if any(c in shown for c in "\x1b\x07\r\x7f\u009b") or \
            not shown.endswith("#6 \\x1b]0;owned\\x07\\x1b[2J\\x0d\\x7f\\u009b31m back\\\\slash"):
        fail(f"logs shows control characters raw: {shown!r}")
    if json.loads(keel("logs", D, "-o", "json").splitlines()[-1])["text"] != evil:
        fail("logs -o json changed the text")
    ok("logs escapes control characters in tables, keeps them in -o json")

    for scope in ([], ["--device", D]):
        keel("config", "set", "wifi.ssid", "Gerät", *scope)
        if keel("config", "get", "wifi.ssid", *scope) != "Gerät\n":
            fail("config get")
        if "wifi.ssid" not in keel("config", "list", *scope):
            fail("config list")
        keel("config", "delete", "wifi.ssid", *scope)
        keel("config", "get", "wifi.ssid", *scope, want=1, err="not_found")
        keel("secret", "set", "api.key", "-", *scope, stdin="hunter2-secret\n")
        out = keel("secret", "list", *scope)
        if "api.key" not in out or "hunter2" in out:
            fail(f"secret list: {out}")
        keel("secret", "delete", "api.key", *scope)
    ok("config set / get / list / delete and secret set (stdin) / list / delete, account and "
       "device scope")

    st, js, _ = http(inst.http_port, "POST", "/v1/tokens", {"name": "r", "scope": "read"},
                     inst.token)
    env = dict(ENV, KEEL_TOKEN=js["token"], KEEL_URL=URL)
    keel("apps", "create", "x", j("a.kb"), env=env, want=4, err="scope_insufficient")
    keel("apps", "list", env=env)
    ok("KEEL_TOKEN overrides the login; a read token may list but not upload (exit 4)")
    # HTTPS: keel-cloud with tls_cert / tls_key, the CLI trusting it by KEEL_CA
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout",
                    j("https.key"), "-out", j("https.pem"), "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1", "-days", "2"], check=True, capture_output=True)
    from cloudtest import free_port
    tls_port = free_port()
    inst.serve(http_port=tls_port, instance="tls",
               extra_env={"KEEL_CLOUD_TLS_CERT": j("https.pem"), "KEEL_CLOUD_TLS_KEY": j("https.key"),
                          "KEEL_CLOUD_MQTT_PORT": "0"})
    tls_url = f"https://127.0.0.1:{tls_port}"
    keel("login", tls_url, "--token", inst.token, want=1, err="certificate")
    tls_env = dict(ENV, KEEL_CA=j("https.pem"))
    keel("login", tls_url, "--token", inst.token, env=tls_env)
    if "blinky" not in keel("apps", "list", env=tls_env):
        fail("apps list over HTTPS")
    ok("HTTPS: keel-cloud with a certificate; the CLI refuses it untrusted and works with KEEL_CA")
    h = keel("--help")
    if "exit codes" not in h or "exit codes" not in keel("apps", "--help"):
        fail("--help lacks the exit codes")
    keel("apps", "fly", want=2)
    ok("--help lists the exit codes; unknown verbs exit 2")
finally:
    inst.stop()
print("cli: all checks hold")
