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
  # Configure again when HEAD moves (a commit, a checkout), so that a build tree reused across
  # commits does not report the revision it was first configured at.
  set(_git_dir "${CMAKE_SOURCE_DIR}/.git")
  if(IS_DIRECTORY "${_git_dir}" AND EXISTS "${_git_dir}/HEAD")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_git_dir}/HEAD")
    file(STRINGS "${_git_dir}/HEAD" _git_head LIMIT_COUNT 1)
    if(_git_head MATCHES "^ref: (.+)$")
      if(EXISTS "${_git_dir}/${CMAKE_MATCH_1}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                                                "${_git_dir}/${CMAKE_MATCH_1}")
      endif()
    endif()
  endif()
endif()
set(PLUMBLINE_VERSION "${PROJECT_VERSION}")
