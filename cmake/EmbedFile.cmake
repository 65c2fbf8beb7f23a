# Turns a file into a C++ source defining `const unsigned char <SYMBOL>[]` and
# `const std::size_t <SYMBOL>Size` in namespace ember::ui, so the library serves it without
# reading the file system at run time. Run as:
#   cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DSYMBOL=<name> -P EmbedFile.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# One line of 32 bytes at a time keeps the generated file readable by editors.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/EmbedFile.cmake; do not edit.\n"
  "#include <cstddef>\n"
  "namespace ember::ui {\n"
  "extern const unsigned char ${SYMBOL}[] = {\n${bytes}0x00};\n"
  "extern const std::size_t ${SYMBOL}Size = ${size};\n"
  "}  // namespace ember::ui\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
