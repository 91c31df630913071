#!/usr/bin/env python3
"""lib/crypto budgets, checked in make test from the same measurements make
bench prints. Two sets:
  m33   (bench_m33.py)     issue 3: Ed25519 verify < 2,000,000
        instructions, X25519 < 1,500,000, lib/crypto <= 24 KiB of M33
        flash; issue 11: AES-128-GCM <= 160 instructions per byte;
  host  (bench_bearssl.py) issue 11: AES-128-GCM at least as fast as
        BearSSL's portable constant-time code (ratio <= 1.0).

usage: budgets.py m33|host <bench script> <its arguments...>"""
import subprocess
import sys

LIMITS = {
    "m33": {"m33_ed25519_verify": 2_000_000 - 1, "m33_x25519": 1_500_000 - 1,
            "crypto_flash": 24 * 1024, "m33_aes128gcm": 160},
    "host": {"crypto_aes128gcm_vs_bearssl_ct": 1.0},
}


def main():
    limits = LIMITS[sys.argv[1]]
    bench = sys.argv[2]
    out = subprocess.run([sys.executable, bench] + sys.argv[3:], capture_output=True,
                         text=True)
    sys.stderr.write(out.stderr)
    figures = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "BENCH":
            figures[parts[1]] = float(parts[2])
    failed = out.returncode != 0
    for name, limit in limits.items():
        value = figures.get(name)
        ok = value is not None and value <= limit
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'}: {name} {value} <= {limit}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
