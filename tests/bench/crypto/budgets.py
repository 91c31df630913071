#!/usr/bin/env python3
"""Issue 3's M33 budgets, checked in make test from the same measurement
make bench prints (bench_m33.py): Ed25519 verify < 2,000,000 instructions,
X25519 < 1,500,000, lib/crypto <= 24 KiB of M33 flash."""
import subprocess
import sys

LIMITS = {"m33_ed25519_verify": 2_000_000 - 1, "m33_x25519": 1_500_000 - 1,
          "crypto_flash": 24 * 1024}


def main():
    bench = sys.argv[1]
    out = subprocess.run([sys.executable, bench] + sys.argv[2:], capture_output=True,
                         text=True)
    figures = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "BENCH":
            figures[parts[1]] = float(parts[2])
    failed = out.returncode != 0
    for name, limit in LIMITS.items():
        value = figures.get(name)
        ok = value is not None and value <= limit
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'}: {name} {value} <= {limit}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
