#!/usr/bin/env python3
"""MQTT figures from the firmware build. Prints

  BENCH mqtt_flash   .text + .data of libkeel_mqtt.a built for the M33 (-Os)
  BENCH mqtt_ram     sizeof(mqtt_client_t) with the default mqtt_config.h
                     (the context: control buffer, MQTT_INFLIGHT_N publish
                     slots, receive buffer), plus the library's own
                     .data/.bss, which must be 0

--check also fails when a budget is exceeded (mqtt_flash <= 8 KiB,
mqtt_ram <= 12 KiB), when the library has static data, or when it links an
allocation function.

usage: bench_mqtt.py <fw build dir> [--check]"""
import os
import subprocess
import sys

BUDGETS = {"mqtt_flash": 8 * 1024, "mqtt_ram": 12 * 1024}
ALLOC = {"malloc", "calloc", "realloc", "free", "_malloc_r", "_calloc_r", "_realloc_r",
         "_free_r", "_sbrk", "_sbrk_r", "sbrk", "aligned_alloc", "posix_memalign",
         "memalign", "valloc", "pvalloc", "reallocarray"}

fw = sys.argv[1]
check = "--check" in sys.argv
lib = os.path.join(fw, "microvisor/mqtt/libkeel_mqtt.a")
probe = os.path.join(fw, "tests/bench/mqtt/libkeel_mqtt_ctx_size.a")
for f in (lib, probe):
    if not os.path.exists(f):
        sys.exit(f"bench_mqtt: {f} missing (build the firmware first)")

size = subprocess.run(["arm-none-eabi-size", "-t", lib], capture_output=True, text=True,
                      check=True).stdout.strip().splitlines()[-1].split()
text, data, bss = int(size[0]), int(size[1]), int(size[2])
ctx = None
for line in subprocess.run(["arm-none-eabi-nm", "-S", probe], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    parts = line.split()
    if len(parts) == 4 and parts[3] == "keel_mqtt_ctx_probe":
        ctx = int(parts[1], 16)
if ctx is None:
    sys.exit("bench_mqtt: keel_mqtt_ctx_probe not found in " + probe)
fig = {"mqtt_flash": text + data, "mqtt_ram": ctx + data + bss}
for name, value in fig.items():
    print(f"BENCH {name} {value} B")

fail = []
if check:
    for name, limit in BUDGETS.items():
        if fig[name] > limit:
            fail.append(f"{name} {fig[name]} > {limit}")
    if data + bss:
        fail.append(f"libkeel_mqtt.a has {data + bss} bytes of static data (state must live "
                    "in the caller's context)")
    nm = subprocess.run(["arm-none-eabi-nm", "-u", lib], capture_output=True, text=True,
                        check=True).stdout
    syms = {l.split()[-1] for l in nm.splitlines() if l.strip() and not l.endswith(":")}
    bad = sorted(syms & ALLOC)
    if bad:
        fail.append(f"libkeel_mqtt.a links allocation functions: {bad}")
for f in fail:
    print("bench_mqtt: " + f, file=sys.stderr)
sys.exit(1 if fail else 0)
