# Keel: the two commands (and their helpers).
#   make test   build firmware + host code, run every test (ctest)
#   make demo   boot the emulated device, show the app's log, update the app
#   make bench  print every figure as "BENCH <name> <value> <unit>"
#   make fuzz   run every libFuzzer target for FUZZ_SECONDS each
#   make soak   the long-running tests kept out of `make test`
# Everything is built out of tree under build/: build/fw (arm-none-eabi) and
# build/host (clang, tests and tools). scripts/setup installs missing packages.

BUILD        ?= build
FW           := $(BUILD)/fw
HOST         := $(BUILD)/host
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= 600
CTEST_FLAGS  ?=

.PHONY: all setup firmware host test bench demo fuzz soak run clean

all: host

setup:
	@scripts/setup --check >/dev/null 2>&1 || scripts/setup

firmware: setup
	@cmake -S . -B $(FW) -G Ninja \
	    -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/toolchain-arm-none-eabi.cmake \
	    -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
	@cmake --build $(FW) -j $(JOBS)

host: firmware
	@cmake -S . -B $(HOST) -G Ninja -DCMAKE_C_COMPILER=clang \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEEL_FW_DIR=$(CURDIR)/$(FW) >/dev/null
	@cmake --build $(HOST) -j $(JOBS)

test: host
	ctest --test-dir $(HOST) -LE 'bench|soak|fuzz-long' --output-on-failure \
	    -j $(JOBS) --timeout 600 $(CTEST_FLAGS)

bench: host
	@scripts/bench $(HOST)

demo: host
	@scripts/demo $(FW)

fuzz: host
	@scripts/fuzz $(HOST) $(FUZZ_SECONDS)

soak: host
	ctest --test-dir $(HOST) -L soak --output-on-failure $(CTEST_FLAGS)

clean:
	rm -rf $(BUILD)
