#pragma once
/// `textFileStream(dir)`: each batch reads the files that appeared in `dir` since the last
/// batch, each exactly once.

#include <ember/internal/dstream_node.hpp>
#include <set>
#include <string>
#include <tuple>

namespace ember::detail {

class FileInputNode final : public DStreamNode<std::string>, public InputNode {
 public:
  FileInputNode(StreamingCore* core, std::string directory);
  DStreamNodeBase& node() override { return *this; }
  void startInput() override;

 protected:
  std::optional<RddPtr<std::string>> compute(Time t) override;

 private:
  /// A file is the same file while its name, inode and modification time are.
  using FileId = std::tuple<std::string, uint64_t, int64_t>;

  std::string directory_;
  std::set<FileId> seen_;    // present at start, or already read
  std::set<FileId> warned_;  // unreadable files already reported
  bool warned_missing_dir_ = false;
};

}  // namespace ember::detail
