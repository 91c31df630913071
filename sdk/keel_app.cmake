# keel_add_app(<name> SOURCES <src...> [LIBS <lib...>])
# Builds <name>.elf, a Keel application for mps2-an505, against the SDK
# only: sdk/include, the mv* import library, the start-up code and
# sdk/board/an505/app.ld.
set(KEEL_SDK_DIR ${CMAKE_CURRENT_LIST_DIR})
# Address of veneer slot 0 on this board (the SDK's half of the ABI).
set(KEEL_SDK_NSC_BASE 0x10010400)
if(NOT KEEL_PYTHON)
  find_program(KEEL_PYTHON python3 REQUIRED)
endif()

function(keel_add_app name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES} $<TARGET_OBJECTS:keel_app_startup>)
  set_target_properties(${name} PROPERTIES SUFFIX .elf)
  target_include_directories(${name} PRIVATE ${KEEL_SDK_DIR}/include)
  target_link_libraries(${name} PRIVATE ${A_LIBS} mv_import)
  target_link_options(${name} PRIVATE --specs=nano.specs -T${KEEL_SDK_DIR}/board/an505/app.ld
                      -Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/${name}.map)
  set_target_properties(${name} PROPERTIES LINK_DEPENDS ${KEEL_SDK_DIR}/board/an505/app.ld)
endfunction()
