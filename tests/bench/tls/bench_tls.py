#!/usr/bin/env python3
"""TLS figures: runs the M33 bench image (m33_tls_bench.c) under QEMU
-icount and sizes the firmware's libkeel_tls.a. Prints

  BENCH m33_tls_handshake_full  instructions, ClientHello to the first
                                application byte, with client authentication
  BENCH tls_flash               .text + .data of libkeel_tls.a (lib/crypto
                                not counted)
  BENCH tls_ram                 sizeof(tls_client_t): context and record
                                buffers at TLS_MAX_FRAG (plus the library's
                                own .data/.bss, which must be 0)
  BENCH m33_tls_handshake_resumed  the same, resuming from a ticket
  BENCH tls_tickets             sizeof(tls_ticket_store_t), the caller's ticket
                                store (kept across connections, not in tls_ram)
  BENCH tls_stack               peak stack of the full handshake

--check also fails when a budget is exceeded (full handshake <= 8 M
instructions, resumed <= 3 M, tls_flash <= 20 KiB, tls_ram <= 16 KiB) or when the
microvisor image or libkeel_tls.a links an allocation function.

usage: bench_tls.py <fw build dir> [--check]"""
import os
import subprocess
import sys

BUDGETS = {"m33_tls_handshake_full": 8_000_000, "m33_tls_handshake_resumed": 3_000_000,
           "tls_flash": 20 * 1024,
           "tls_ram": 16 * 1024}
ALLOC = {"malloc", "calloc", "realloc", "free", "_malloc_r", "_calloc_r", "_realloc_r",
         "_free_r", "_sbrk", "_sbrk_r", "sbrk", "aligned_alloc", "posix_memalign",
         "memalign", "valloc", "pvalloc", "reallocarray"}

fw = sys.argv[1]
check = "--check" in sys.argv
image = os.path.join(fw, "tests/bench/tls/m33_tls_bench.bin")
lib = os.path.join(fw, "microvisor/tls/libkeel_tls.a")
mv = os.path.join(fw, "microvisor/microvisor.elf")
for f in (image, lib, mv):
    if not os.path.exists(f):
        sys.exit(f"bench_tls: {f} missing (build the firmware first)")

run = subprocess.run(["qemu-system-arm", "-M", "mps2-an505", "-cpu", "cortex-m33",
                      "-nographic", "-monitor", "none", "-serial", "none",
                      "-semihosting-config", "enable=on,target=native",
                      "-icount", "shift=0,align=off,sleep=off",
                      "-device", f"loader,file={image},addr=0x10000000,force-raw=on"],
                     capture_output=True, text=True, timeout=300)
m33 = {}
for line in (run.stdout + "\n" + run.stderr).splitlines():
    parts = line.split()
    if len(parts) == 4 and parts[0] == "M33":
        m33[parts[1]] = int(parts[2])
if run.returncode != 0 or "tls_handshake_full" not in m33:
    sys.stderr.write(run.stdout + run.stderr)
    sys.exit(f"bench_tls: the M33 handshake failed (exit {run.returncode})")

size = subprocess.run(["arm-none-eabi-size", "-t", lib], capture_output=True, text=True,
                      check=True).stdout.strip().splitlines()[-1].split()
text, data, bss = int(size[0]), int(size[1]), int(size[2])
fig = {"m33_tls_handshake_full": m33["tls_handshake_full"],
       "m33_tls_handshake_resumed": m33["tls_handshake_resumed"], "tls_flash": text + data,
       "tls_ram": m33["tls_context"] + data + bss, "tls_tickets": m33["tls_tickets"],
       "tls_stack": m33["tls_stack"]}
units = {"m33_tls_handshake_full": "instr", "m33_tls_handshake_resumed": "instr"}
for name, value in fig.items():
    print(f"BENCH {name} {value} {units.get(name, 'bytes')}")

fail = []
if check:
    for name, limit in BUDGETS.items():
        if fig[name] > limit:
            fail.append(f"{name} {fig[name]} > {limit}")
    if data + bss:
        fail.append(f"libkeel_tls.a has {data + bss} bytes of static data (state must live "
                    "in the caller's context)")
    for path, flag in ((mv, []), (lib, ["-u"])):
        nm = subprocess.run(["arm-none-eabi-nm", *flag, path], capture_output=True,
                            text=True, check=True).stdout
        syms = {l.split()[-1] for l in nm.splitlines() if l.strip() and not l.endswith(":")}
        bad = sorted(syms & ALLOC)
        if bad:
            fail.append(f"{os.path.basename(path)} links allocation functions: {bad}")
for f in fail:
    print("bench_tls: " + f, file=sys.stderr)
sys.exit(1 if fail else 0)
