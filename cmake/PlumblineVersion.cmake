# Version and revision baked into the binary (plumbline_build_info, /api/v1/status/buildinfo).
find_package(Git QUIET)
set(PLUMBLINE_REVISION "unknown")
if(GIT_FOUND AND EXISTS "${CMAKE_SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
                  OUTPUT_VARIABLE PLUMBLINE_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(NOT PLUMBLINE_REVISION)
    set(PLUMBLINE_REVISION "unknown")
  endif()
endif()
set(PLUMBLINE_VERSION "${PROJECT_VERSION}")
