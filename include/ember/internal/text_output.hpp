#pragma once
/// Atomic directory output for `saveAsTextFile(s)`: parts are written into a hidden
/// temporary directory next to the target, which is renamed into place once complete, so
/// no reader (a `textFileStream` included) ever sees a half-written batch.

#include <cstddef>
#include <string>
#include <string_view>

namespace ember::detail {

/// One output directory. Not thread-safe except `partPath`, which tasks call in parallel.
class TextOutputCommit {
 public:
  explicit TextOutputCommit(std::string final_path);
  ~TextOutputCommit();  // removes the temporary directory unless committed
  TextOutputCommit(const TextOutputCommit&) = delete;
  TextOutputCommit& operator=(const TextOutputCommit&) = delete;

  std::string partPath(size_t partition) const;
  /// Writes `_SUCCESS` and renames the directory into place, replacing an older copy.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

/// Buffered writer of one part file; throws `IoError` naming the file on any failure
/// (a full disk included).
class PartFileWriter {
 public:
  explicit PartFileWriter(std::string path);
  ~PartFileWriter();
  PartFileWriter(const PartFileWriter&) = delete;
  PartFileWriter& operator=(const PartFileWriter&) = delete;

  void write(std::string_view bytes);
  void close();

 private:
  void flushBuffer();
  std::string path_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace ember::detail
