# Run by CTest (see CMakeLists.txt here) with -P and these variables:
#   EMBER_BINARY_DIR    the Ember build tree
#   EMBER_APP_DIR       the sources of the test application
#   EMBER_CXX_COMPILER  the compiler Ember was built with
#   EMBER_GENERATOR     the CMake generator Ember was built with
#   EMBER_SANITIZE      whether Ember was built with the sanitizers (the app must be too)
# Installs Ember into a scratch prefix under the build tree, builds the application with
# find_package(Ember) and with `pkg-config --cflags --libs ember`, runs both, checks their
# output, and removes the scratch directory (kept on failure if EMBER_KEEP_INSTALL_TEST is
# set in the environment).
cmake_minimum_required(VERSION 3.25)

foreach(var EMBER_BINARY_DIR EMBER_APP_DIR EMBER_CXX_COMPILER EMBER_GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "install_test.cmake: ${var} is not set")
  endif()
endforeach()

set(scratch "${EMBER_BINARY_DIR}/install-test")
set(prefix "${scratch}/prefix")
set(expected "RESULT: be=2 not=1 or=1 see=1 to=3")
set(sanitizer_flags "")
if(EMBER_SANITIZE)
  set(sanitizer_flags -fsanitize=address,undefined -fno-sanitize-recover=all)
endif()

function(cleanup)
  if(NOT DEFINED ENV{EMBER_KEEP_INSTALL_TEST})
    file(REMOVE_RECURSE "${scratch}")
  endif()
endfunction()

# Runs a command; on failure cleans up and fails with its output.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    cleanup()
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}): ${cmd}\n--- stdout ---\n${out}\n--- stderr ---\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

function(expect_output what binary)
  run("${what}" "${binary}")
  string(FIND "${last_output}" "${expected}" at)
  if(at EQUAL -1)
    cleanup()
    message(FATAL_ERROR "${what}: expected '${expected}', got:\n${last_output}")
  endif()
  message(STATUS "${what}: ${expected}")
endfunction()

file(REMOVE_RECURSE "${scratch}")
file(MAKE_DIRECTORY "${scratch}")

# 1. Build the library if needed (the test must work from a clean build tree) and install.
run("Building the ember target" "${CMAKE_COMMAND}" --build "${EMBER_BINARY_DIR}" --target ember)
run("Installing Ember" "${CMAKE_COMMAND}" --install "${EMBER_BINARY_DIR}" --prefix "${prefix}")
foreach(installed include/ember/ember.hpp etc/ember/ember-defaults.conf)
  if(NOT EXISTS "${prefix}/${installed}")
    cleanup()
    message(FATAL_ERROR "Not installed: ${prefix}/${installed}")
  endif()
endforeach()

# 2. find_package(Ember) and Ember::ember.
set(app_build "${scratch}/app-cmake")
set(cmake_args -S "${EMBER_APP_DIR}" -B "${app_build}" -G "${EMBER_GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${EMBER_CXX_COMPILER}" "-DCMAKE_PREFIX_PATH=${prefix}"
    -DCMAKE_BUILD_TYPE=Release)
if(EMBER_SANITIZE)
  string(REPLACE ";" " " flags "${sanitizer_flags}")
  list(APPEND cmake_args "-DCMAKE_CXX_FLAGS=${flags}" "-DCMAKE_EXE_LINKER_FLAGS=${flags}")
endif()
run("Configuring the application with find_package(Ember)" "${CMAKE_COMMAND}" ${cmake_args})
run("Building the application with find_package(Ember)" "${CMAKE_COMMAND}" --build "${app_build}")
expect_output("The application built with find_package(Ember)" "${app_build}/install_test_app")

# 3. pkg-config and the compiler directly.
find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG_EXECUTABLE)
  cleanup()
  message(FATAL_ERROR "pkg-config is not installed")
endif()
file(GLOB_RECURSE pc_files "${prefix}/*/ember.pc")
list(LENGTH pc_files n)
if(NOT n EQUAL 1)
  cleanup()
  message(FATAL_ERROR "Expected one installed ember.pc under ${prefix}, found: ${pc_files}")
endif()
get_filename_component(pc_dir "${pc_files}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
run("pkg-config --cflags --libs ember" "${PKG_CONFIG_EXECUTABLE}" --cflags --libs ember)
string(STRIP "${last_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
set(app_pc "${scratch}/install_test_app_pkgconfig")
run("Building the application with pkg-config" "${EMBER_CXX_COMPILER}" -O1 ${sanitizer_flags}
    "${EMBER_APP_DIR}/main.cpp" ${pc_flags} -o "${app_pc}")
expect_output("The application built with pkg-config" "${app_pc}")

cleanup()
