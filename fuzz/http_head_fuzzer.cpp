// The web UI's request parser on arbitrary bytes: whatever a local client sends, parsing
// ends with a request or a refusal status, within the configured limits.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_support.hpp"
#include "ui/http_server.hpp"

using ember::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ember::ui::HttpServerLimits limits;
  limits.max_header_lines = 8;
  limits.max_body_bytes = 1024;
  auto end = ember::ui::requestHeadEnd(in);
  check(!end || *end <= in.size());
  ember::ui::RequestHead head =
      ember::ui::parseRequestHead(in.substr(0, end.value_or(in.size())), limits);
  if (head.error == 0) {
    check(!head.request.method.empty());
    check(head.content_length <= limits.max_body_bytes);
  } else {
    check(head.error == 400 || head.error == 413 || head.error == 431 || head.error == 501);
    check(!head.error_text.empty());
  }
  return 0;
}
