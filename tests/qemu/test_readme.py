#!/usr/bin/env python3
"""The CLI round trip exactly as README.md tells it: keygen -> bundle ->
sign -> verify -> provision -> boot. The fenced block after the
"<!-- readme-roundtrip -->" marker is run line by line by the shell, in a
scratch copy of the layout it assumes (build/readme-demo next to build/host and
build/fw), so the README cannot drift from what works.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def readme_block():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    m = re.search(r"<!-- readme-roundtrip -->\n```sh\n(.*?)```", text, re.S)
    if not m:
        sys.exit("README.md: no readme-roundtrip block")
    return m.group(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keel", required=True)
    p.add_argument("--fw", required=True)
    p.add_argument("--apps")
    a = p.parse_args()
    block = readme_block()
    with tempfile.TemporaryDirectory(prefix="keel-readme-") as tmp:
        # The layout the README assumes, pointing at this build.
        os.makedirs(os.path.join(tmp, "build", "host", "cli"))
        os.symlink(os.path.abspath(a.keel), os.path.join(tmp, "build", "host", "cli", "keel"))
        os.symlink(os.path.abspath(a.fw), os.path.join(tmp, "build", "fw"))
        env = dict(os.environ, KEEL_FW_DIR=os.path.abspath(a.fw))
        r = subprocess.run(["bash", "-e", "-x", "-c", block], cwd=tmp, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=120)
    out = r.stdout + r.stderr
    print(out)
    checks = [
        (r"^kid [0-9a-f]{16}$", "keygen prints the key id"),
        (r"hello.kbundle: OK, signed by kid [0-9a-f]{16}", "verify accepts the signed app"),
        (r"^device UV[0-9A-F]{32} provisioned in device.img \(2 trusted signers\)",
         "provision names the device"),
        (r"\[boot\] slot A: microvisor 1\.0\.0, security counter 1", "boot ROM verified mv"),
        (r"\[mv\] app 1\.0\.0 loaded from slot A", "microvisor verified the app"),
        (r"\[app\] hello from UV[0-9A-F]{32}$", "the app runs"),
    ]
    failed = 0
    for rx, what in checks:
        ok = re.search(rx, out, re.M) is not None
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}: {what}")
    # keel run --timeout ends with 124: the device was still running.
    if r.returncode not in (0, 124):
        print(f"FAIL: the block exited with {r.returncode}")
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
