#!/usr/bin/env python3
"""Keel's firmware figures, printed as "BENCH <name> <value> <unit>" lines:

  mvnoop_roundtrip   instructions per mvNoOp call (QEMU -icount)
  boot_to_app_main   instructions from reset to the app's main (-icount)
  boot_to_app_main_1mib  the same with a 1 MiB application (its code layer
                     verified and loaded: apps/bench1m)
  microvisor_flash   bytes of flash the microvisor image occupies
  microvisor_ram     bytes of RAM it uses (data, bss, stack)
  bootrom_flash      bytes of the boot ROM

With --check, also enforces the budgets of DESIGN.md and exits non-zero if
one is exceeded (make test runs this; make bench only prints).
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "qemu"))
import harness  # noqa: E402

BUDGETS = {
    "mvnoop_roundtrip": 40,
    "microvisor_flash": 128 * 1024,
    "microvisor_ram": 64 * 1024,
}


def size_of(elf, size_tool):
    """(flash, ram) in bytes from the Berkeley format of `size`."""
    out = subprocess.run([size_tool, "-B", elf], check=True, capture_output=True,
                         text=True).stdout.splitlines()[1].split()
    text, data, bss = int(out[0]), int(out[1]), int(out[2])
    return text + data, data + bss


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--size", default="arm-none-eabi-size")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()

    figures = {}
    # (application, the figure it must print, what it is)
    for app, must, what in (("bench", "mvnoop_roundtrip", "the benchmark application"),
                            ("bench1m", "boot_to_app_main_1mib", "the 1 MiB application")):
        run = harness.boot(a.keel, a.fw, os.path.join(a.apps, app, app + ".elf"),
                           timeout=300, run_args=["--icount"])
        for line in run.matching(rf"^{harness.APP}BENCH "):
            _, _, name, value, unit = line.split()
            figures[name] = (float(value), unit)
        if run.status != 0 or must not in figures:
            print(run.text())
            print(f"figures: {what} failed")
            return 1
    flash, ram = size_of(os.path.join(a.fw, "microvisor", "microvisor.elf"), a.size)
    figures["microvisor_flash"] = (flash, "bytes")
    figures["microvisor_ram"] = (ram, "bytes")
    rom, _ = size_of(os.path.join(a.fw, "boot", "bootrom.elf"), a.size)
    figures["bootrom_flash"] = (rom, "bytes")

    for name, (value, unit) in figures.items():
        if isinstance(value, float) and not value.is_integer():
            shown = f"{value:.2f}"
        else:
            shown = str(int(value))
        print(f"BENCH {name} {shown} {unit}")
    if not a.check:
        return 0
    failed = 0
    for name, limit in BUDGETS.items():
        value = figures[name][0]
        ok = value <= limit
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}: {name} {value:g} <= {limit}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
