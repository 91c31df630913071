#!/usr/bin/env python3
"""Checks the veneer ABI: the built microvisor's NSC table against the
committed, append-only call list (sdk/abi/mv_calls.list), and the SDK's
import library against both.

For slot i of the list, the microvisor must define the call's symbol at
BASE + 8*i, the 4 bytes there must be an SG instruction, and the import
library must resolve the name to BASE + 8*i + 1 (Thumb). Past the last
slot the NSC region must hold no SG at all. A call inserted or removed in
the middle of the list, or a reordered gateway table, moves a veneer and
fails here.

usage: abi_check.py --elf microvisor.elf --implib libmv_import.a
                    --list mv_calls.list --base 0x10010400 [--readelf RE] [--objcopy OC]
"""
import argparse
import subprocess
import sys
import tempfile

SG = bytes.fromhex("7fe97fe9")  # SG encoding, little-endian halfwords


def read_list(path):
    calls = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            calls.append(line.split()[0])
    return calls


def symbols(readelf, path):
    """Symbol values as stored (readelf, unlike nm, keeps the Thumb bit)."""
    out = subprocess.run([readelf, "-sW", path], check=True, capture_output=True,
                         text=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 8 and parts[0].endswith(":") and parts[0][:-1].isdigit():
            table[parts[7]] = int(parts[1], 16)
    return table


def check(calls, a, mv, imp, nsc, quiet=False):
    errors = []
    nsc_start = mv.get("__nsc_start")
    if nsc_start != a.base:
        errors.append(f"NSC table starts at {nsc_start:#x}, the ABI says {a.base:#x}")
    for slot, name in enumerate(calls):
        want = a.base + 8 * slot
        got = mv.get(name)
        if got is not None:
            got &= ~1
        if got != want:
            errors.append(f"slot {slot} {name}: microvisor has it at "
                          f"{'nowhere' if got is None else hex(got)}, ABI says {want:#x}")
        if nsc[8 * slot:8 * slot + 4] != SG:
            errors.append(f"slot {slot} {name}: no SG instruction at {want:#x}")
        if imp.get(name) != want + 1:
            errors.append(f"slot {slot} {name}: import library says "
                          f"{imp.get(name, 0):#x}, ABI says {want + 1:#x}")
    # No entry points beyond the list: any SG past the last slot would be a
    # secure entry the ABI does not know about.
    for off in range(8 * len(calls), len(nsc) - 3, 2):
        if nsc[off:off + 4] == SG:
            errors.append(f"unlisted SG at {a.base + off:#x}")
    if not quiet:
        for e in errors:
            print("FAIL:", e)
    return errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--elf", required=True)
    p.add_argument("--implib", required=True)
    p.add_argument("--list", required=True)
    p.add_argument("--base", required=True, type=lambda s: int(s, 0))
    p.add_argument("--readelf", default="arm-none-eabi-readelf")
    p.add_argument("--objcopy", default="arm-none-eabi-objcopy")
    p.add_argument("--self-test", action="store_true",
                   help="also prove the check fails on a reordered or shortened list")
    a = p.parse_args()

    calls = read_list(a.list)
    mv = symbols(a.readelf, a.elf)
    imp = symbols(a.readelf, a.implib)
    with tempfile.NamedTemporaryFile() as f:
        subprocess.run([a.objcopy, "-O", "binary", "-j", ".nsc", a.elf, f.name], check=True)
        nsc = open(f.name, "rb").read()
    errors = check(calls, a, mv, imp, nsc)
    if a.self_test:
        swapped = calls[:2] + [calls[3], calls[2]] + calls[4:]
        removed = calls[:5] + calls[6:]
        for what, variant in (("two calls swapped", swapped), ("a call removed", removed)):
            caught = bool(check(variant, a, mv, imp, nsc, quiet=True))
            print(f"{'PASS' if caught else 'FAIL'}: the check notices {what}")
            if not caught:
                errors.append(f"self-test: {what} not detected")
    print(f"abi_check: {len(calls)} veneer slots, {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
