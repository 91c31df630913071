#!/usr/bin/env python3
"""Runs the lib/crypto M33 bench image under QEMU -icount and prints
BENCH lines: instructions per byte (bulk primitives over 64 KiB),
instructions per operation (AES-128-GCM init, X25519, Ed25519 sign/verify) and crypto_flash,
the .text + .rodata of the whole firmware keel_crypto library.

usage: bench_m33.py <fw build dir>"""
import os
import subprocess
import sys

fw = sys.argv[1] if len(sys.argv) > 1 else "build/fw"
image = os.path.join(fw, "tests/bench/m33/m33_crypto_bench.bin")
lib = os.path.join(fw, "lib/crypto/libkeel_crypto.a")
if not os.path.exists(image):
    sys.exit(f"bench_m33: {image} missing (build the firmware first)")

cmd = ["qemu-system-arm", "-M", "mps2-an505", "-cpu", "cortex-m33",
       "-nographic", "-monitor", "none", "-serial", "none",
       "-semihosting-config", "enable=on,target=native",
       "-icount", "shift=0,align=off,sleep=off",
       "-device", f"loader,file={image},addr=0x10000000,force-raw=on"]
run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
results = {}
# semihosting console output may land on either stream
for line in (run.stdout + "\n" + run.stderr).splitlines():
    parts = line.split()
    if len(parts) == 4 and parts[0] == "M33":
        results[parts[1]] = (int(parts[2]), int(parts[3]))
if run.returncode != 0 or "ed25519_verify" not in results:
    sys.stderr.write(run.stdout + run.stderr)
    sys.exit(f"bench_m33: image failed (exit {run.returncode})")

calib = results["calib_2000000"][0]
if abs(calib - 2000000) > 100:
    sys.exit(f"bench_m33: calibration loop read {calib}, expected 2000000")

for name in ("sha256", "sha512", "chacha20poly1305", "aes128gcm"):
    instr, nbytes = results[name]
    print(f"BENCH m33_{name} {instr / nbytes:.2f} instr/byte")
for name in ("aes128gcm_init", "x25519", "ed25519_sign", "ed25519_verify"):
    print(f"BENCH m33_{name} {results[name][0]} instr")

size = subprocess.run(["arm-none-eabi-size", "-t", lib], capture_output=True,
                      text=True, check=True)
total = size.stdout.strip().splitlines()[-1].split()
print(f"BENCH crypto_flash {int(total[0]) + int(total[1])} bytes")
