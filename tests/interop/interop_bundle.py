#!/usr/bin/env python3
"""keel keygen/bundle/sign/inspect/verify, checked by an independent
decoder: python3-cbor2 parses the bundle's COSE_Sign1 manifest, checks
every part is deterministic CBOR with the fields docs/images.md names,
rebuilds the Sig_structure itself, and the openssl command verifies the
Ed25519 signature; hashlib checks the layer digest. Then every bad input
the verbs must refuse, each with its message."""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

import cbor2

KEEL = sys.argv[1]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg, file=sys.stderr)


def keel(*args, want=0, err=None):
    p = subprocess.run([KEEL, *args], capture_output=True, text=True)
    if p.returncode != want:
        fail(f"keel {' '.join(args)}: exit {p.returncode}, want {want}\n{p.stderr}")
    if err and err not in p.stderr:
        fail(f"keel {' '.join(args)}: stderr {p.stderr!r} lacks {err!r}")
    return p


def canonical(b):
    return cbor2.dumps(cbor2.loads(b), canonical=True) == b


def provision(j, app_payload, app_blob, app_env, app_kid):
    """keel provision: the flash image, read back by this script and openssl."""
    mv_payload = bytes((i * 13 + 1) & 0xFF for i in range(7000))
    hdr = struct.pack("<6I", 0x4C45454B, 64, 1, 0x10010000, len(mv_payload), 1 << 16) + bytes(40)
    open(j("mv.img"), "wb").write(hdr + mv_payload)
    keel("keygen", j("mv.pem"))
    keel("bundle", "--kind", "microvisor", "--version", "1.4.0", "--counter", "3", "--key",
         j("mv.pem"), j("mv.img"), j("mv.kb"))
    keel("provision", "--new-ca", j("fleet"))
    keel("provision", "--new-ca", j("fleet"), want=1, err="not overwriting")
    args = ["provision", "--ca", j("fleet.pem"), "--ca-key", j("fleet.key"),
            "--mv-signer", j("mv.pem.pub"), "--app-signer", j("k.pem.pub"),
            "--microvisor", j("mv.kb"), "--app", j("app.kb")]
    out = keel(*args, j("flash.img")).stdout
    keel(*args, j("flash.img"), want=1, err="--force")
    pj = json.loads(keel(*args, "-o", "json", "--force", j("flash-json.img")).stdout)
    if not pj["device_id"].startswith("UV") or pj["signers"] != 2:
        fail(f"provision -o json: {pj}")
    keel("provision", "--ca", j("fleet.pem"), "--ca-key", j("fleet.key"),
         "--mv-signer", j("mv.pem.pub"), "--app-signer", j("other.pem.pub"),
         "--microvisor", j("mv.kb"), "--app", j("app.kb"), j("bad.img"), want=1,
         err="no trusted signer")
    keel("provision", "--ca", j("fleet.pem"), "--ca-key", j("fleet.key"),
         "--mv-signer", j("mv.pem.pub"), "--app-signer", j("k.pem.pub"),
         "--microvisor", j("app.kb"), "--app", j("app.kb"), j("bad2.img"), want=1,
         err="not a microvisor bundle")
    keel("provision", "--ca", j("fleet.pem"), "--ca-key", j("k.pem"), "--mv-signer",
         j("mv.pem.pub"), "--app-signer", j("k.pem.pub"), "--microvisor", j("mv.kb"),
         "--app", j("app.kb"), j("bad3.img"), want=1, err="not a CA certificate")
    keel("provision", "--ca", j("fleet.pem"), j("bad4.img"), want=2, err="required")
    flash = open(j("flash.img"), "rb").read()
    if len(flash) != 16 << 20:
        fail("flash image is not 16 MiB")
        return
    dev_id = flash[8:42].decode()
    if flash[:4] != b"PROV" or dev_id not in out:
        fail("provisioning record")
    # identity page: "KIDN", cert length, crc, ~crc, seed, certificate
    magic, clen = struct.unpack_from("<4sI", flash, 3 * 8192)
    if magic != b"KIDN":
        fail("identity page")
    open(j("dev.der"), "wb").write(flash[3 * 8192 + 48:3 * 8192 + 48 + clen])
    subprocess.run(["openssl", "x509", "-inform", "DER", "-in", j("dev.der"), "-out",
                    j("dev.pem")], check=True)
    v = subprocess.run(["openssl", "verify", "-CAfile", j("fleet.pem"), j("dev.pem")],
                       capture_output=True, text=True)
    if v.returncode != 0:
        fail(f"device certificate does not chain to the fleet CA: {v.stdout}{v.stderr}")
    subj = subprocess.run(["openssl", "x509", "-in", j("dev.pem"), "-noout", "-subject"],
                          capture_output=True, text=True).stdout
    if dev_id not in subj:
        fail(f"certificate subject {subj!r} is not the device id {dev_id}")
    der = subprocess.run(["openssl", "x509", "-in", j("dev.pem"), "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    pub = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                         capture_output=True, check=True).stdout[-32:]
    if "UV" + hashlib.sha256(pub).hexdigest()[:32].upper() != dev_id or flash[44:76] != pub:
        fail("device id is not UV + SHA-256(certificate's public key)[0..16)")
    # trusted signers: snapshot "KTRS" in page 1 with both kids
    if flash[8192:8196] != b"KTRS" or struct.unpack_from("<I", flash, 8192 + 8)[0] != 2:
        fail("trust snapshot")
    kids = {flash[8192 + 32 + 64 * i + 8:8192 + 32 + 64 * i + 16].hex() for i in range(2)}
    if app_kid not in kids:
        fail("app signer not trusted")
    # slot A of each component: manifest page (header + envelope), image after two pages
    for base, bundle_blob in ((0x10000, open(j("mv.kb"), "rb").read()), (0x200000, app_blob)):
        mlen = struct.unpack_from("<I", bundle_blob, 12)[0]
        env = bundle_blob[32:32 + mlen]
        image = bundle_blob[32 + ((mlen + 15) & ~15):]
        magic, ln = struct.unpack_from("<4sI", flash, base)
        if magic != b"KMAN" or flash[base + 16:base + 16 + ln] != env:
            fail(f"slot at {base:#x}: manifest page")
        if flash[base + 2 * 8192:base + 2 * 8192 + len(image)] != image:
            fail(f"slot at {base:#x}: image bytes")
    if flash[0xF00000:0xF00004] != b"JRN1":
        fail("journal not formatted")


def main():
    d = tempfile.mkdtemp(prefix="keel-interop-")
    j = lambda *p: os.path.join(d, *p)
    # a keel pack image: 64-byte header (magic, size, kind, load, size, version)
    payload = bytes((i * 7 + 3) & 0xFF for i in range(5000))
    hdr = struct.pack("<6I", 0x4C45454B, 64, 2, 0x00200000, len(payload), 1 << 16) + bytes(40)
    open(j("app.img"), "wb").write(hdr + payload)

    for verb in ("keygen", "bundle", "sign", "inspect", "verify", "provision"):
        if "usage: keel " + verb not in keel(verb, "--help").stdout:
            fail(f"keel {verb} --help prints no usage")
    out = keel("keygen", j("k.pem")).stdout
    kid_hex = out.split()[1]
    keel("keygen", j("other.pem"))
    keel("bundle", "--kind", "app", "--version", "2.1.7", "--counter", "9",
         "--restart-ms", "0,500,30000", "--politeness", "on-restart", "--checkin", "600",
         "--min-mv", "1.3.0", j("app.img"), j("app.kb"))
    keel("verify", "--pub", j("k.pem.pub"), j("app.kb"), want=1, err="unsigned")
    keel("sign", "--key", j("k.pem"), j("app.kb"))
    keel("verify", "--pub", j("k.pem.pub"), j("app.kb"))
    if "version: 2.1.7" not in keel("inspect", j("app.kb")).stdout:
        fail("inspect does not show the version")
    # version limits (docs/images.md "Version numbers"): 8.8.16 bits, checked
    # at bundle time so nothing wraps into a smaller version
    keel("bundle", "--kind", "app", "--version", "255.255.65535", "--counter", "9",
         "--min-mv", "255.255.65535", j("app.img"), j("max.kb"))
    if "version: 255.255.65535" not in keel("inspect", j("max.kb")).stdout:
        fail("the largest version does not round-trip")
    for v in ("256.0.0", "0.256.0", "0.0.65536", "1.2", "1.2.3.4", "1.x.0", "1.+2.0", "1.-0.0", "99999999999.0.0"):
        for opt in ("--version", "--min-mv"):
            args = {"--version": "1.0.0", "--min-mv": "1.0.0"}
            args[opt] = v
            keel("bundle", "--kind", "app", "--version", args["--version"], "--counter", "1",
                 "--min-mv", args["--min-mv"], j("app.img"), j("bad.kb"), want=2,
                 err=f"{opt} '{v}': want X.Y.Z (X, Y <= 255, Z <= 65535)")
    # -o json: the same facts as fields (their names are API)
    ins = json.loads(keel("inspect", "-o", "json", j("app.kb")).stdout)
    if ins["version"] != "2.1.7" or ins["security_counter"] != 9 or ins["kid"] != kid_hex or \
            ins["component"] != "app" or ins["min_microvisor"] != "1.3.0" or \
            ins["policy"]["restart_ms"] != [0, 500, 30000] or \
            ins["policy"]["politeness"] != "on-restart" or ins["image_bytes"] is None:
        fail(f"inspect -o json: {ins}")
    ver = json.loads(keel("verify", "-o", "json", "--pub", j("k.pem.pub"), j("app.kb")).stdout)
    if ver["ok"] is not True or ver["kid"] != kid_hex or ver["layers"] != ins["layers"]:
        fail(f"verify -o json: {ver}")
    keel("inspect", "-o", "yaml", j("app.kb"), want=2)

    # --- the independent decoder ---
    blob = open(j("app.kb"), "rb").read()
    magic, ver, mlen, ilen = struct.unpack_from("<8sIII", blob)
    if magic != b"KEELBDL\0" or ver != 1:
        fail("bundle header")
    env = blob[32:32 + mlen]
    image = blob[32 + ((mlen + 15) & ~15):]
    if len(image) != ilen:
        fail("bundle image length")
    if not canonical(env):
        fail("envelope is not deterministic CBOR")
    tag = cbor2.loads(env)
    if not isinstance(tag, cbor2.CBORTag) or tag.tag != 18 or len(tag.value) != 4:
        fail("not a COSE_Sign1")
        sys.exit(1)
    prot_b, unprot, payload_b, sig = tag.value
    prot = cbor2.loads(prot_b)
    if not canonical(prot_b) or not canonical(payload_b):
        fail("protected header or payload not deterministic")
    if prot.get(1) != -8 or prot.get(4, b"").hex() != kid_hex or unprot != {}:
        fail(f"headers: {prot} {unprot}")
    m = cbor2.loads(payload_b)
    want = {1: 1, 2: 2, 3: (2 << 24) | (1 << 16) | 7, 4: 9, 6: (1 << 24) | (3 << 16)}
    for k, v in want.items():
        if m.get(k) != v:
            fail(f"payload key {k}: {m.get(k)} != {v}")
    layer = m[5][0]
    if layer != {1: 0x00200000, 2: len(payload), 3: hashlib.sha256(payload).digest()}:
        fail(f"layer {layer}")
    if hashlib.sha256(image[:layer[2]]).digest() != layer[3]:
        fail("image does not hash to the layer digest")
    if m[7] != {1: False, 2: [0, 500, 30000], 3: 2, 4: 600}:
        fail(f"policy {m[7]}")
    tbs = cbor2.dumps(["Signature1", prot_b, b"", payload_b])
    open(j("tbs"), "wb").write(tbs)
    open(j("sig"), "wb").write(sig)
    p = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", j("k.pem.pub"),
                        "-rawin", "-in", j("tbs"), "-sigfile", j("sig")],
                       capture_output=True, text=True)
    if p.returncode != 0 or "Signature Verified Successfully" not in p.stdout:
        fail(f"openssl does not verify the signature: {p.stdout} {p.stderr}")
    # key id = SHA-256(raw public key)[0..8); the raw key is the DER's tail
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", j("k.pem.pub"), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    if hashlib.sha256(der[-32:]).hexdigest()[:16] != kid_hex:
        fail("kid is not SHA-256(public key)[0..8)")

    # --- rejections, each with its reason ---
    keel("verify", "--pub", j("other.pem.pub"), j("app.kb"), want=1, err="no trusted signer")
    t = bytearray(blob)
    t[32 + ((mlen + 15) & ~15) + 100] ^= 1
    open(j("tampered.kb"), "wb").write(t)
    keel("verify", "--pub", j("k.pem.pub"), j("tampered.kb"), want=1,
         err="image bytes do not match the layer digest")
    t = bytearray(blob)
    t[-1] ^= 1
    open(j("badpad.kb"), "wb").write(t)
    keel("verify", "--pub", j("k.pem.pub"), j("badpad.kb"), want=1, err="padding")
    t = bytearray(blob)
    t[32 + mlen - 1] ^= 1  # last signature byte
    open(j("badsig.kb"), "wb").write(t)
    keel("verify", "--pub", j("k.pem.pub"), j("badsig.kb"), want=1, err="does not verify")
    open(j("trunc.kb"), "wb").write(blob[:len(blob) - 1])
    keel("verify", "--pub", j("k.pem.pub"), j("trunc.kb"), want=1, err="truncated")
    open(j("env.cose"), "wb").write(env)
    keel("verify", "--pub", j("k.pem.pub"), j("env.cose"))
    open(j("env_trail.cose"), "wb").write(env + b"\0")
    keel("verify", "--pub", j("k.pem.pub"), j("env_trail.cose"), want=1, err="trailing bytes")
    # a re-encoding that is valid CBOR but not deterministic (a long head)
    longer = b"\xd8\x12" + env[1:]
    open(j("noncanon.cose"), "wb").write(longer)
    keel("verify", "--pub", j("k.pem.pub"), j("noncanon.cose"), want=1, err="non-deterministic")
    # the same fields, signed properly, plus an unknown critical key 9
    m2 = dict(m)
    m2[9] = 0
    payload2 = cbor2.dumps(m2, canonical=True)
    tbs2 = cbor2.dumps(["Signature1", prot_b, b"", payload2])
    open(j("tbs2"), "wb").write(tbs2)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", j("k.pem"), "-rawin", "-in",
                    j("tbs2"), "-out", j("sig2")], check=True)
    sig2 = open(j("sig2"), "rb").read()
    open(j("crit.cose"), "wb").write(
        cbor2.dumps(cbor2.CBORTag(18, [prot_b, {}, payload2, sig2])))
    keel("verify", "--pub", j("k.pem.pub"), j("crit.cose"), want=1, err="unknown critical")
    # and a non-critical extension (key 64) is accepted
    m3 = dict(m)
    m3[64] = "note"
    payload3 = cbor2.dumps(m3, canonical=True)
    open(j("tbs3"), "wb").write(cbor2.dumps(["Signature1", prot_b, b"", payload3]))
    subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", j("k.pem"), "-rawin", "-in",
                    j("tbs3"), "-out", j("sig3")], check=True)
    open(j("ext.cose"), "wb").write(cbor2.dumps(
        cbor2.CBORTag(18, [prot_b, {}, payload3, open(j("sig3"), "rb").read()])))
    keel("verify", "--pub", j("k.pem.pub"), j("ext.cose"))
    # CLI argument errors
    keel("bundle", "--kind", "phone", "--version", "1.0.0", "--counter", "1", j("app.img"),
         j("x.kb"), want=2, err="unknown kind")
    keel("bundle", "--kind", "app", "--version", "1.0", "--counter", "1", j("app.img"),
         j("x.kb"), want=2, err="want X.Y.Z")
    keel("bundle", "--kind", "app", "--version", "1.0.0", j("app.img"), j("x.kb"), want=2,
         err="required")
    keel("bundle", "--kind", "microvisor", "--version", "1.0.0", "--counter", "1", "--debug",
         j("app.img"), j("x.kb"), want=2, err="do not apply to a microvisor")
    keel("bundle", "--kind", "app", "--version", "1.0.0", "--counter", "1", j("k.pem"),
         j("x.kb"), want=1, err="not a 32-bit")
    keel("sign", "--key", j("k.pem.pub"), j("app.kb"), want=1, err="not an Ed25519 private key")
    keel("sign", "--key", j("k.pem"), j("nonexistent.kb"), want=1, err="No such file")
    keel("keygen", j("k.pem"), want=1, err="--force")
    keel("inspect", j("k.pem"), want=1, err="manifest rejected")
    keel("verify", j("app.kb"), want=2)
    provision(j, payload, blob, env, kid_hex)
    if failures:
        sys.exit(f"interop_bundle: {failures} failures")
    print("interop_bundle: ok")


if __name__ == "__main__":
    main()
