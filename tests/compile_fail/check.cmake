# Runs one compile-fail case: compiles SOURCE (syntax only) and passes when the compiler
# rejects it with every message the case expects. A case declares, in comments:
#   // expect-error: <text>          the compiler output must contain <text> (one or more
#                                    lines; <text> without ";")
#   // expect-error-count: <N>       exactly N lines with "error:" (default 1: one clear error)
# Variables: COMPILER, SOURCE, FLAGS and INCLUDES ("|"-separated lists).
if(NOT COMPILER OR NOT SOURCE)
  message(FATAL_ERROR "check.cmake needs -DCOMPILER=... -DSOURCE=...")
endif()
file(STRINGS "${SOURCE}" expected REGEX "^// expect-error: ")
list(TRANSFORM expected REPLACE "^// expect-error: " "")
if(NOT expected)
  message(FATAL_ERROR "${SOURCE}: no '// expect-error: <text>' line")
endif()
set(count 1)
file(STRINGS "${SOURCE}" count_line REGEX "^// expect-error-count: [0-9]+$")
if(count_line)
  string(REGEX REPLACE "^// expect-error-count: " "" count "${count_line}")
endif()

string(REPLACE "|" ";" flags "${FLAGS}")
string(REPLACE "|" ";" includes "${INCLUDES}")
list(FILTER includes EXCLUDE REGEX "^$")
list(TRANSFORM includes PREPEND "-I")
execute_process(
  COMMAND "${COMPILER}" ${flags} ${includes} -fsyntax-only -fdiagnostics-color=never "${SOURCE}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must not")
endif()
foreach(text IN LISTS expected)
  string(FIND "${out}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${SOURCE}: the compiler output lacks '${text}':\n${out}")
  endif()
endforeach()
string(REPLACE ";" "," lines "${out}")  # a ";" in a message would split the list below
string(REGEX MATCHALL "[^\n]*error:[^\n]*" errors "${lines}")
list(LENGTH errors n)
if(NOT n EQUAL count)
  message(FATAL_ERROR "${SOURCE}: ${n} errors, expected ${count}:\n${out}")
endif()
message(STATUS "${SOURCE}: rejected as expected")
