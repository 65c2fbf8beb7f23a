# Warnings apply to Ember's own targets only; third-party headers come in as SYSTEM.
function(ember_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
    -Wimplicit-fallthrough -Wcast-qual -Wvla)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports false positives inside libstdc++'s std::string when it inlines deeply
    # (GCC bugs 105651, 106199, 105329): never let them fail the build.
    target_compile_options(${target} PRIVATE
      -Wno-restrict -Wno-stringop-overflow -Wno-error=array-bounds -Wno-error=maybe-uninitialized)
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # The lock annotations (include/ember/internal/thread_annotations.hpp) are checked.
    # librdkafka's RD_KAFKA_V_* macros expand to statement expressions, which -Wpedantic
    # reports under clang.
    target_compile_options(${target} PRIVATE -Wthread-safety
                           -Wno-gnu-statement-expression-from-macro-expansion)
  endif()
  if(EMBER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
