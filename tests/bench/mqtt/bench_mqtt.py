#!/usr/bin/env python3
"""MQTT figures: runs the M33 bench image (m33_mqtt_bench.c) under QEMU
-icount and sizes the firmware's libkeel_mqtt.a. Prints

  BENCH mqtt_flash   .text + .data of libkeel_mqtt.a built for the M33 (-Os)
  BENCH mqtt_ram     sizeof(mqtt_client_t) on the M33 with the default
                     mqtt_config.h (control buffer, MQTT_INFLIGHT_N publish
                     slots, receive buffer), plus the library's own
                     .data/.bss, which must be 0
  BENCH m33_mqtt_connect, m33_mqtt_publish_qos1, m33_mqtt_receive_qos1,
        m33_mqtt_keepalive   M33 instructions per operation (the image's
                     comment says what each one covers)
  BENCH mqtt_stack   peak stack of the session in the image

--check also fails when a budget is exceeded (mqtt_flash <= 8 KiB,
mqtt_ram <= 12 KiB, a 512-byte publish <= 20,000 instructions), when the
library has static data, or when it links an allocation function.

usage: bench_mqtt.py <fw build dir> [--check]"""
import os
import subprocess
import sys

BUDGETS = {"mqtt_flash": 8 * 1024, "mqtt_ram": 12 * 1024, "m33_mqtt_publish_qos1": 20_000}
ALLOC = {"malloc", "calloc", "realloc", "free", "_malloc_r", "_calloc_r", "_realloc_r",
         "_free_r", "_sbrk", "_sbrk_r", "sbrk", "aligned_alloc", "posix_memalign",
         "memalign", "valloc", "pvalloc", "reallocarray"}

fw = sys.argv[1]
check = "--check" in sys.argv
lib = os.path.join(fw, "microvisor/mqtt/libkeel_mqtt.a")
image = os.path.join(fw, "tests/bench/mqtt/m33_mqtt_bench.bin")
for f in (lib, image):
    if not os.path.exists(f):
        sys.exit(f"bench_mqtt: {f} missing (build the firmware first)")

run = subprocess.run(["qemu-system-arm", "-M", "mps2-an505", "-cpu", "cortex-m33",
                      "-nographic", "-monitor", "none", "-serial", "none",
                      "-semihosting-config", "enable=on,target=native",
                      "-icount", "shift=0,align=off,sleep=off",
                      "-device", f"loader,file={image},addr=0x10000000,force-raw=on"],
                     capture_output=True, text=True, timeout=120)
m33 = {}
for line in (run.stdout + "\n" + run.stderr).splitlines():
    parts = line.split()
    if len(parts) == 4 and parts[0] == "M33":
        m33[parts[1]] = int(parts[2])
if run.returncode != 0 or "mqtt_context" not in m33:
    sys.stderr.write(run.stdout + run.stderr)
    sys.exit(f"bench_mqtt: the M33 session failed (exit {run.returncode})")

size = subprocess.run(["arm-none-eabi-size", "-t", lib], capture_output=True, text=True,
                      check=True).stdout.strip().splitlines()[-1].split()
text, data, bss = int(size[0]), int(size[1]), int(size[2])
fig = {"mqtt_flash": (text + data, "B"), "mqtt_ram": (m33["mqtt_context"] + data + bss, "B")}
for name in ("mqtt_connect", "mqtt_publish_qos1", "mqtt_receive_qos1", "mqtt_keepalive"):
    fig["m33_" + name] = (m33[name], "instr")
fig["mqtt_stack"] = (m33["mqtt_stack"], "B")
for name, (value, unit) in fig.items():
    print(f"BENCH {name} {value} {unit}")

fail = []
if check:
    for name, limit in BUDGETS.items():
        if fig[name][0] > limit:
            fail.append(f"{name} {fig[name][0]} > {limit}")
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
