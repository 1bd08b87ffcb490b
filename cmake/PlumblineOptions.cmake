# Build options shared by every target of the project.
option(PLUMBLINE_WERROR "Treat warnings as errors (-Wall -Wextra -Werror)" ON)
option(PLUMBLINE_BUILD_TESTS "Build the GoogleTest suites" ON)
option(PLUMBLINE_BUILD_BENCHMARKS "Build the Google Benchmark programs" ON)
option(PLUMBLINE_FUZZ "Build libFuzzer targets (clang only)" OFF)
set(PLUMBLINE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")

add_compile_options(-Wall -Wextra)
if(PLUMBLINE_WERROR)
  add_compile_options(-Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 reports false -Wrestrict overlaps inside libstdc++'s std::string at -O2/-O3
  # (GCC bug 105651), e.g. for "h" + std::to_string(i).
  add_compile_options(-Wno-restrict)
endif()

if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Lock annotations are only checked by clang (see STYLE.md, "Threads").
  add_compile_options(-Wthread-safety -Werror=thread-safety)
endif()

if(PLUMBLINE_SANITIZE)
  add_compile_options(-fsanitize=${PLUMBLINE_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${PLUMBLINE_SANITIZE})
endif()

if(PLUMBLINE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PLUMBLINE_FUZZ needs clang (e.g. -DCMAKE_CXX_COMPILER=clang++-14)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# plumbline_test(<name> SRCS <files...> DEPS <targets...> [LABELS <labels...>])
# One GoogleTest executable; its tests are discovered when ctest runs.
function(plumbline_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} plumbline_testing GTest::gmock GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# plumbline_fuzzer(<name> SRCS <files...> DEPS <targets...>) — a libFuzzer target.
function(plumbline_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  if(NOT PLUMBLINE_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_property(GLOBAL APPEND PROPERTY PLUMBLINE_FUZZERS ${name})
endfunction()
