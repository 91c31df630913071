#!/usr/bin/env python3
"""The network stack's figures, as "BENCH <name> <value> <unit>" lines:

  net_flash               flash of the stack, driver and service objects
                          as built for the microvisor (text + rodata + data)
  net_ram                 their static RAM (data + bss): the context with
                          its packet pool (NET_POOL_N x NET_BUF_SIZE)
  net_ram_socket          net_ram plus one TCP socket with its rings, as
                          nettest.c has them (sk, rxr, txr): the very
                          configuration of every 1 MiB transfer, the
                          impaired ones included (8760 B rx, 2920 B tx)
  tcp_rx_throughput       KiB/s receiving 1 MiB through slirp (wall clock)
  tcp_tx_throughput       KiB/s sending 1 MiB through slirp
  tcp_rx_instr_per_byte   instructions per received byte: driver, stack and
                          the copy out of the socket (QEMU -icount)

--sizes-only skips QEMU; --check enforces net_flash <= 32 KiB and
net_ram_socket <= 24 KiB (make test runs --sizes-only --check).
"""
import argparse
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "qemu"))
import harness  # noqa: E402

BUDGETS = {"net_flash": 32 * 1024, "net_ram": 24 * 1024, "net_ram_socket": 24 * 1024}


def object_sizes(fw, size_tool):
    """(flash, ram) of the network objects as compiled for the microvisor
    (every function, used or not: the production image does not call TCP
    or DNS yet, so --gc-sections would hide them)."""
    base = os.path.join(fw, "microvisor", "CMakeFiles", "microvisor.dir")
    objs = sorted(glob.glob(os.path.join(base, "net", "*.c.obj")))
    objs.append(os.path.join(base, "board", "an505", "lan9118.c.obj"))
    out = subprocess.run([size_tool, "-B", "-t"] + objs, check=True, capture_output=True,
                         text=True).stdout.splitlines()[-1].split()
    text, data, bss = int(out[0]), int(out[1]), int(out[2])
    return text + data, data + bss


def symbol_size(elf, sym, nm):
    out = subprocess.run([nm, "-S", elf], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == sym:
            return int(parts[1], 16)
    raise SystemExit(f"net_figures: no symbol {sym} in {elf}")


def main():
    p = argparse.ArgumentParser()
    harness.common_args(p)
    p.add_argument("--nm", default="arm-none-eabi-nm")
    p.add_argument("--size", default="arm-none-eabi-size")
    p.add_argument("--sizes-only", action="store_true")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    figures = {}
    flash, ram = object_sizes(a.fw, a.size)
    figures["net_flash"] = (flash, "bytes")
    figures["net_ram"] = (ram, "bytes")
    nettest = os.path.join(a.fw, "tests", "qemu", "apps", "net_mv", "microvisor_nettest.elf")
    sock = sum(symbol_size(nettest, sym, a.nm) for sym in ("sk", "rxr", "txr"))
    figures["net_ram_socket"] = (ram + sock, "bytes")
    status = 0
    if not a.sizes_only:
        import net_e2e  # noqa: E402  (tests/qemu)
        run, _ = net_e2e.run_nettest(a, "FULL", timeout=240, echo=False)
        bench = net_e2e.run_nettest(a, "RXBENCH", timeout=240, icount=True, echo=False)[0]
        for r in (run, bench):
            status |= r.status
            if r.status:
                print(r.text())
            for line in r.matching(r"^BENCH "):
                _, name, value, unit = line.split()
                figures[name] = (int(value), unit)
    for name, (value, unit) in figures.items():
        print(f"BENCH {name} {value} {unit}")
    if a.check:
        for name, limit in BUDGETS.items():
            ok = figures[name][0] <= limit
            status |= not ok
            print(f"{'PASS' if ok else 'FAIL'}: {name} {figures[name][0]} <= {limit}")
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
