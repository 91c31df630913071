#!/usr/bin/env python3
"""AES-128-GCM on the host against BearSSL's portable constant-time code,
in instructions counted by callgrind (deterministic, so the figure does not
depend on the machine's load). Runs crypto_bearssl_bench in each mode under
`valgrind --tool=callgrind`, counting only gcm_measured() (4 MiB, one call),
checks that all three tags agree and prints

  BENCH host_aes128gcm <n> instr/byte                 ours
  BENCH host_aes128gcm_bearssl_ct64 <n> instr/byte    br_aes_ct64 + ghash_ctmul64
  BENCH host_aes128gcm_bearssl_ct32 <n> instr/byte    br_aes_ct + ghash_ctmul32
  BENCH crypto_aes128gcm_vs_bearssl_ct <ratio> ratio  ours / ct64

usage: bench_bearssl.py <valgrind> <crypto_bearssl_bench>"""
import re
import subprocess
import sys


def count(valgrind, prog, mode):
    run = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          "--collect-atstart=no", "--toggle-collect=gcm_measured",
                          prog, mode], capture_output=True, text=True, timeout=900)
    collected = re.search(r"Collected : (\d+)", run.stderr)
    out = re.search(r"bytes (\d+) tag ([0-9a-f]{32})", run.stdout)
    if run.returncode != 0 or not collected or not out:
        sys.stderr.write(run.stdout + run.stderr)
        sys.exit(f"bench_bearssl: {mode} failed (exit {run.returncode})")
    return int(collected.group(1)), int(out.group(1)), out.group(2)


def main():
    valgrind, prog = sys.argv[1], sys.argv[2]
    res = {m: count(valgrind, prog, m) for m in ("ours", "ct64", "ct32")}
    tags = {r[2] for r in res.values()}
    if len(tags) != 1:
        sys.exit(f"bench_bearssl: tags differ: {res}")
    per = {m: r[0] / r[1] for m, r in res.items()}
    print(f"BENCH host_aes128gcm {per['ours']:.2f} instr/byte")
    print(f"BENCH host_aes128gcm_bearssl_ct64 {per['ct64']:.2f} instr/byte")
    print(f"BENCH host_aes128gcm_bearssl_ct32 {per['ct32']:.2f} instr/byte")
    print(f"BENCH crypto_aes128gcm_vs_bearssl_ct {per['ours'] / per['ct64']:.3f} ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
