# Shared build settings and helpers for both builds.

if(CMAKE_CROSSCOMPILING)
  set(KEEL_FIRMWARE ON)
  # Cortex-M33, soft float for the secure world (it never touches FP state, so
  # the app's FP registers are never mixed with secure data).
  set(KEEL_M33_FLAGS -mcpu=cortex-m33 -mthumb -mfloat-abi=soft)
  add_compile_options(${KEEL_M33_FLAGS} -ffreestanding -ffunction-sections
                      -fdata-sections -fno-common -g
                      -Wall -Wextra -Wshadow -Wstrict-prototypes -Wundef)
  add_link_options(${KEEL_M33_FLAGS} -nostartfiles -Wl,--gc-sections
                   -Wl,--no-warn-rwx-segments)
else()
  set(KEEL_FIRMWARE OFF)
  enable_testing()
  add_compile_options(-g -Wall -Wextra -Wshadow -Wstrict-prototypes)
  set(KEEL_FW_DIR "" CACHE PATH "firmware build directory (for QEMU tests)")
  set(KEEL_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  # Debian's python3 first: setup installs its packages (python3-cbor2).
  find_program(KEEL_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
  find_program(KEEL_PYTHON python3 REQUIRED)
endif()

# The build's time (seconds since 1970): TLS refuses certificates that
# expired before it while wall time is unknown (docs/tls.md). It must be
# a true lower bound of "now" and stable between configures (the clock at
# configure time changed every compile line that uses it, so each `make`
# rebuilt the TLS engine and everything linking it): SOURCE_DATE_EPOCH
# when set, else the time of the commit checked out, else the clock.
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  set(KEEL_BUILD_TIME "$ENV{SOURCE_DATE_EPOCH}")
else()
  execute_process(COMMAND git -C ${CMAKE_CURRENT_LIST_DIR}/.. log -1 --format=%ct
                  OUTPUT_VARIABLE KEEL_BUILD_TIME OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE keel_git_rc ERROR_QUIET)
  if(NOT keel_git_rc EQUAL 0 OR NOT KEEL_BUILD_TIME MATCHES "^[0-9]+$")
    string(TIMESTAMP KEEL_BUILD_TIME "%s" UTC)
  endif()
endif()

set(KEEL_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
get_filename_component(KEEL_ROOT ${KEEL_ROOT} ABSOLUTE)

# keel_unit_test(<name> SOURCES <src...> [LIBS <lib...>] [NOSAN])
# A host unit test, built with ASan+UBSan unless NOSAN, registered in ctest
# with label "unit".
function(keel_unit_test name)
  cmake_parse_arguments(A "NOSAN" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LIBS})
  if(NOT A_NOSAN)
    target_compile_options(${name} PRIVATE ${KEEL_SANITIZE_FLAGS})
    target_link_options(${name} PRIVATE ${KEEL_SANITIZE_FLAGS})
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

# keel_fuzz_target(<name> SOURCES <src...> [LIBS <lib...>] [RUNS <n>])
# A libFuzzer target (with ASan+UBSan). `make test` runs a short smoke run
# (RUNS inputs, default 20000) over the seed corpus in tests/fuzz/corpus/<name>
# if it exists; `make fuzz` (scripts/fuzz) runs every fuzz_* binary for longer.
function(keel_fuzz_target name)
  cmake_parse_arguments(A "" "RUNS" "SOURCES;LIBS" ${ARGN})
  if(NOT A_RUNS)
    set(A_RUNS 20000)
  endif()
  set(exe fuzz_${name})
  add_executable(${exe} ${A_SOURCES})
  target_link_libraries(${exe} PRIVATE ${A_LIBS})
  target_compile_options(${exe} PRIVATE -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=all)
  target_link_options(${exe} PRIVATE -fsanitize=fuzzer,address,undefined)
  set(corpus ${KEEL_ROOT}/tests/fuzz/corpus/${name})
  set(args -runs=${A_RUNS} -seed=1 -max_len=4096)
  if(EXISTS ${corpus})
    # A scratch corpus, emptied each run so the smoke run is repeatable,
    # for what the run grows; then the committed seeds.
    set(work ${CMAKE_CURRENT_BINARY_DIR}/corpus-${name})
    add_test(NAME fuzz_smoke_${name}
             COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && shift && exec \"$@\""
                     sh ${work} $<TARGET_FILE:${exe}> ${args} ${work} ${corpus})
  else()
    add_test(NAME fuzz_smoke_${name} COMMAND ${exe} ${args})
  endif()
  set_tests_properties(fuzz_smoke_${name} PROPERTIES LABELS fuzz)
endfunction()

# keel_bench(<name> COMMAND <cmd...>): a benchmark; it prints
# "BENCH <name> <value> <unit>" lines. Run by `make bench`, not `make test`.
function(keel_bench name)
  cmake_parse_arguments(A "" "" "COMMAND" ${ARGN})
  add_test(NAME bench_${name} COMMAND ${A_COMMAND})
  set_tests_properties(bench_${name} PROPERTIES LABELS bench)
endfunction()

# keel_linker_script(<target> <script.ld.in> [INCLUDES <dir...>])
# Preprocesses a linker script with cpp (so it can include memory_map.h) and
# links <target> with it; also writes <target>.map and <target>.bin.
function(keel_linker_script target script)
  cmake_parse_arguments(A "" "" "INCLUDES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.ld)
  set(incs)
  foreach(d ${A_INCLUDES})
    list(APPEND incs -I${d})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_C_COMPILER} -E -P -x c -DKEEL_LINKER_SCRIPT ${incs}
            ${script} -o ${out}
    DEPENDS ${script} ${KEEL_ROOT}/microvisor/board/an505/memory_map.h
    COMMENT "Preprocessing ${target} linker script")
  add_custom_target(${target}_ld DEPENDS ${out})
  add_dependencies(${target} ${target}_ld)
  set_target_properties(${target} PROPERTIES SUFFIX .elf LINK_DEPENDS ${out})
  target_link_options(${target} PRIVATE -T${out}
                      -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/${target}.map)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:${target}>
            ${CMAKE_CURRENT_BINARY_DIR}/${target}.bin)
endfunction()
