#!/usr/bin/env python3
"""README.md's self-hosting block, run as written: each command line of
the sh block after "Self-hosting:", with HOME in a temp dir (so ~/keel is
there), the ports picked free through KEEL_CLOUD_DEVICE_PORT,
KEEL_CLOUD_MQTT_PORT and KEEL_CLOUD_HTTP_PORT, the URL's port 8080 replaced by the one picked, the
token keel-cloud init printed pasted into keel login, and key.pem and
app.kbundle made first as the comments say.

    readme_cloud.py ROOT BUILD
"""
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloudtest import fail, free_port, ok, tempdir, wait_port  # noqa: E402

ROOT, BUILD = sys.argv[1:3]
text = open(os.path.join(ROOT, "README.md")).read()
m = re.search(r"Self-hosting:\n\n```sh\n(.*?)```", text, re.S)
if not m:
    fail("README.md has no self-hosting block")
lines = [l.split("#")[0].strip() for l in m.group(1).splitlines()]
lines = [l for l in lines if l]
tmp = tempdir("readme")
http_port, device_port, mqtt_port = free_port(), free_port(), free_port()
env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
env.update(HOME=tmp, KEEL_CLOUD_HTTP_PORT=str(http_port), KEEL_CLOUD_MQTT_PORT=str(mqtt_port),
           KEEL_CLOUD_DEVICE_PORT=str(device_port))
keel = os.path.join(BUILD, "cli", "keel")
subprocess.run([keel, "keygen", "key.pem"], cwd=tmp, check=True, capture_output=True)
payload = bytes(range(256)) * 8
import struct  # noqa: E402
open(os.path.join(tmp, "app.img"), "wb").write(
    struct.pack("<6I", 0x4C45454B, 64, 2, 0x00200000, len(payload), 1 << 16) + bytes(40) + payload)
subprocess.run([keel, "bundle", "--kind", "app", "--version", "1.0.0", "--counter", "1",
                "--key", "key.pem", "app.img", "app.kbundle"], cwd=tmp, check=True,
               capture_output=True)
serve, token = None, None
try:
    for line in lines:
        cmd = line.replace("build/host/", BUILD + "/").replace("cloud/scripts/",
                                                                 ROOT + "/cloud/scripts/")
        cmd = cmd.replace("127.0.0.1:8080", f"127.0.0.1:{http_port}")
        if cmd.endswith("&"):
            serve = subprocess.Popen(["bash", "-c", "exec " + cmd[:-1]], cwd=tmp, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not wait_port(http_port, serve):
                fail(f"{line}: nothing listens on {http_port}")
            ok(line)
            continue
        p = subprocess.run(["bash", "-c", cmd], cwd=tmp, env=env, capture_output=True,
                           text=True, input=(token + "\n") if " login " in cmd else None,
                           timeout=60)
        if p.returncode != 0:
            fail(f"{line}: exit {p.returncode}\n{p.stdout}{p.stderr}")
        if " init " in cmd:
            token = p.stdout.strip().splitlines()[-1]
        ok(line)
    if "blinky" not in subprocess.run([keel, "apps", "list"], cwd=tmp, env=env,
                                      capture_output=True, text=True).stdout:
        fail("the app the README uploads is not listed")
finally:
    if serve:
        serve.send_signal(signal.SIGTERM)
        serve.wait(20)
    subprocess.run([ROOT + "/cloud/scripts/keel-broker", "stop", os.path.join(tmp, "keel")],
                   capture_output=True)
print("readme: the self-hosting block runs as written")
