# find_package(async) — the installed async.h (make install or cmake --install).
#   async::core  the header-only core: #include <async/async.h>
#   async::rt    the libev runtime (libasync): #include <async/async_rt.h>
# The runtime is the shared library if installed, unless ASYNC_USE_STATIC is
# set before find_package. A program must use async.h's default ASYNC_CONFIG_* values to
# link with async::rt (another value fails to link, naming the option).
#   find_package(async 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE async::rt)
# The prefix is found from this file's place: lib/cmake/async/ under it.
get_filename_component(_async_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET async::core)
  add_library(async::core INTERFACE IMPORTED)
  set_target_properties(async::core PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_async_prefix}/include")
endif()

if(NOT TARGET async::rt)
  include(CMakeFindDependencyMacro)
  find_dependency(Threads)
  find_library(ASYNC_EV_LIBRARY NAMES ev)
  find_path(ASYNC_EV_INCLUDE_DIR NAMES ev.h)
  # The shared library unless ASYNC_USE_STATIC, or unless only the archive is
  # installed (a cmake --install of a static build).
  if(ASYNC_USE_STATIC OR NOT EXISTS "${_async_prefix}/lib/libasync.so")
    set(_async_lib "${_async_prefix}/lib/libasync.a")
    add_library(async::rt STATIC IMPORTED)
  else()
    set(_async_lib "${_async_prefix}/lib/libasync.so")
    add_library(async::rt SHARED IMPORTED)
  endif()
  if(EXISTS "${_async_lib}" AND ASYNC_EV_LIBRARY AND ASYNC_EV_INCLUDE_DIR)
    set_target_properties(async::rt PROPERTIES
      IMPORTED_LOCATION "${_async_lib}"
      IMPORTED_LINK_INTERFACE_LANGUAGES "C"
      INTERFACE_INCLUDE_DIRECTORIES "${ASYNC_EV_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "async::core;${ASYNC_EV_LIBRARY};Threads::Threads")
  else()
    set(async_FOUND FALSE)
    set(async_NOT_FOUND_MESSAGE "async::rt needs ${_async_lib} and libev (Debian: libev-dev)")
  endif()
  unset(_async_lib)
endif()
unset(_async_prefix)
