#pragma once
/// `textFileStream(dir)`: each batch reads the files that appeared in `dir` since the last
/// batch, each exactly once.

#include <ember/internal/dstream_node.hpp>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>

namespace ember::detail {

class FileInputNode final : public DStreamNode<std::string>, public InputNode {
 public:
  FileInputNode(StreamingCore* core, std::string directory);
  DStreamNodeBase& node() override { return *this; }
  void startInput() override;

  /// Checkpoints hold the files read up to the batch and the files of the batches a window
  /// may still ask for, so a restarted job reads each file exactly once and recomputes old
  /// batches from the same files.
  bool checkpointed() const override { return true; }
  std::function<void(ByteWriter&)> checkpointSnapshot(Time t) override;
  void restoreCheckpoint(Time t, ByteReader& in,
                         const std::shared_ptr<const std::string>& bytes) override;

 protected:
  std::optional<RddPtr<std::string>> compute(Time t) override;

 private:
  /// A file is the same file while its name, inode and modification time are.
  using FileId = std::tuple<std::string, uint64_t, int64_t>;

  std::shared_ptr<BlockRdd<std::string>> readBatch(Time t, const std::vector<FileId>& files);

  std::string directory_;
  mutable std::mutex mu_;  // the generator changes the sets below; checkpoints read them
  std::map<Time, std::vector<FileId>> selected_;  // files read into each recent batch
  std::optional<Time> restored_;                  // recovered: files were not listed at start
  std::set<FileId> seen_;                         // present at start, or already read
  std::set<FileId> warned_;                       // unreadable files already reported
  bool warned_missing_dir_ = false;
};

}  // namespace ember::detail
