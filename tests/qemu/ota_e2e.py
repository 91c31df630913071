#!/usr/bin/env python3
"""
ota_e2e: an app update over the air, end to end: the emulated device
(this tree's firmware) against keel-cloud with updates over the air
(branch ota-cloud until it is merged) and its mosquitto. A signed app
0.2.0 is uploaded and deployed to the device; the device fetches the
envelope and the layer in 1 KiB chunks, verifies, activates, restarts into
it on trial; the trial passes; the cloud's row for the device ends
confirmed with done == total.

Not registered in ctest yet: main's keel-cloud sends no deployments. Run:
  python3 tests/qemu/ota_e2e.py --keel build/host/cli/keel --fw build/fw \
      --apps build/fw/tests/qemu/apps --cloud ../ota-cloud/build/host/cloud/keel-cloud
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "cloud"))
import cloud_link as cl  # noqa: E402
import cloudtest as ct  # noqa: E402
import harness  # noqa: E402
import update_util as uu  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--cloud", required=True, help="a keel-cloud binary that serves deployments")
    a = p.parse_args()
    c = harness.Check("ota_e2e")
    tmp = ct.tempdir("ota-e2e")
    j = lambda n: os.path.join(tmp, n)
    hello = os.path.join(a.fw, "apps", "hello", "hello.elf")
    key = os.path.join(a.fw, "keel-dev-key.pem")
    inst = ct.Instance(a.cloud, tmp)
    inst.serve()
    pub = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"], capture_output=True,
                         text=True, check=True).stdout
    st, js, _ = ct.http(inst.http_port, "POST", "/v1/signers",
                        body={"name": "dev", "public_key": pub}, token=inst.token)
    c.that(st == 201, f"the device's signer registered: {st} {js}")
    uu.bundle(a.keel, key, "app", "0.2.0", 2, hello, j("app-0.2.0.kb"))
    st, app, _ = ct.http(inst.http_port, "POST", "/v1/apps?name=hello",
                         raw=open(j("app-0.2.0.kb"), "rb").read(), token=inst.token,
                         headers={"Content-Type": "application/octet-stream"})
    c.that(st == 201, f"app 0.2.0 uploaded: {st} {app}")
    dev = cl.Device(a, inst, j("flash.img"), timeout=240)
    try:
        i = dev.wait_for(cl.CONNECTED, 60)
        c.that(i is not None, "the device connected" + ("" if i is not None else dev.tail()))
        ids = [ln.split()[-1] for ln in dev.lines if ln.startswith("[mv] device UV")]
        if i is None or not ids or st != 201:
            return c.done()
        dev_id = ids[0]
        time.sleep(2)  # its hello registers it
        t0 = time.monotonic()
        st, dep, _ = ct.http(inst.http_port, "POST", "/v1/deployments",
                             body={"app_id": app["id"], "device_id": dev_id}, token=inst.token)
        c.that(st == 201, f"deployed to {dev_id}: {st} {dep}")
        k = dev.wait_for(r"^\[ota\] app update activated: restarting into it", 120)
        c.that(k is not None, "the device downloaded, verified and activated the update"
               + ("" if k is not None else ":\n" + dev.tail()))
        if k is not None:
            print(f"FIGURE fota_deploy_to_activated_s {time.monotonic() - t0:.1f}")
        row, end = None, time.monotonic() + 90
        while time.monotonic() < end:
            dev.pump()
            st, js, _ = ct.http(inst.http_port, "GET", f"/v1/deployments/{dep['id']}",
                                token=inst.token)
            rows = [d for d in (js or {}).get("devices", []) if d.get("device_id") == dev_id]
            row = rows[0] if rows else None
            if row and row.get("state") in ("confirmed", "reverted", "failed"):
                break
            time.sleep(1)
        c.that(row is not None and row.get("state") == "confirmed"
               and row.get("done") == row.get("total") and row.get("total", 0) > 0,
               f"the cloud's row ends confirmed, done == total: {row}"
               + ("" if row and row.get("state") == "confirmed" else "\n" + dev.tail()))
        c.that(any("app 0.2.0" in ln or "0.2.0" in ln for ln in dev.lines[k or 0:]),
               "the device runs app 0.2.0 after the restart")
    finally:
        dev.stop()
        inst.stop()
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
