// The batch log's reader on arbitrary bytes. The first byte chooses the input: the log's
// bytes as they are, or bodies (each preceded by a one-byte length) framed with valid
// checksums, so mutations reach the record decoder. Reading stops at the first torn or
// corrupt record and says what it found there; the records read frame back into a log that
// reads to the same records.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ember/codec.hpp>
#include <ember/internal/checkpoint.hpp>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"

using ember::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ember::detail::BatchLog;
  using ember::detail::BatchRecord;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t framed = 0;
  std::string log = data[0] & 1 ? ember::fuzz::framedRecords(in, framed) : std::string(in);
  std::map<int64_t, BatchRecord> records;
  std::string problem;
  size_t end = BatchLog::parse(log, records, problem);
  check(end <= log.size());
  check((end == log.size()) == problem.empty());

  std::string again;
  for (const auto& [time, record] : records) {
    check(record.time_ms == time);
    ember::detail::appendRecord(again, ember::encode(record));
  }
  std::map<int64_t, BatchRecord> reread;
  std::string reread_problem;
  check(BatchLog::parse(again, reread, reread_problem) == again.size());
  check(reread.size() == records.size());
  return 0;
}
