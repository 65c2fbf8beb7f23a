# Warnings apply to Ember's own targets only; third-party headers come in as SYSTEM.
function(ember_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
    -Wimplicit-fallthrough -Wcast-qual -Wvla
    # GCC 12 reports false positives inside libstdc++'s std::string when it inlines deeply
    # (GCC bugs 105651, 106199, 105329): never let them fail the build.
    -Wno-restrict -Wno-stringop-overflow -Wno-error=array-bounds -Wno-error=maybe-uninitialized)
  if(EMBER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
