#pragma once
/// `textFileStream(dir)`, `fileStream(dir, filter, newFilesOnly)` and
/// `binaryRecordsStream(dir, recordLength)`: each batch reads the files that appeared in
/// `dir` (or in every directory matching a glob pattern) since the last batch, each exactly
/// once, as lines or as fixed-length records.

#include <ember/internal/dstream_node.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>

namespace ember::detail {

class FileInputNode final : public DStreamNode<std::string>, public InputNode {
 public:
  /// What to read and how.
  struct Options {
    /// Called with each candidate file's path; only files for which it is true are read.
    std::function<bool(const std::string&)> filter;
    /// False: the files already in the directory at the start are read in the first batch.
    bool newFilesOnly = true;
    /// 0: lines of text; otherwise records of exactly this many bytes.
    size_t recordLength = 0;
  };
  FileInputNode(StreamingCore* core, std::string directory, std::string name, Options options);
  FileInputNode(StreamingCore* core, std::string directory)
      : FileInputNode(core, directory, "textFileStream " + directory, Options{}) {}
  DStreamNodeBase& node() override { return *this; }
  void startInput() override;

  /// Checkpoints hold the files read up to the batch and the files of the batches a window
  /// may still ask for, so a restarted job reads each file exactly once and recomputes old
  /// batches from the same files.
  bool checkpointed() const override { return true; }
  std::function<void(ByteWriter&)> checkpointSnapshot(Time t) override;
  void restoreCheckpoint(Time t, ByteReader& in,
                         const std::shared_ptr<const std::string>& bytes) override;
  /// The batch log holds each batch's files; a restart reads them again.
  std::function<void(ByteWriter&)> batchRecord(Time t) override;
  void replayBatch(Time t, ByteReader& in) override;

 protected:
  std::optional<RddPtr<std::string>> compute(Time t) override;

 private:
  /// A file is the same file while its name (its path, for a glob pattern), inode and
  /// modification time are.
  using FileId = std::tuple<std::string, uint64_t, int64_t>;
  struct Candidate {
    std::string name;
    uint64_t inode;
    int64_t mtime_ns;
  };

  /// Whether a file of this name has been read (or was present at start).
  bool seenName(const std::string& name) const;
  /// The files of batch `t` again (a window after recovery asks for an old batch).
  RddPtr<std::string> readBatch(Time t, const std::vector<FileId>& files);
  /// The RDD of batch `t` over the files' bytes; reports the batch's record count.
  RddPtr<std::string> filesRdd(Time t, std::vector<std::shared_ptr<const std::string>> files);
  /// The files to consider (hidden and filtered ones left out), oldest first; nullopt when
  /// the directory cannot be listed.
  std::optional<std::vector<Candidate>> listCandidates(std::string& error) const;
  std::string pathOf(const std::string& name) const {
    return glob_ ? name : directory_ + "/" + name;
  }
  /// Throws when `bytes` are not whole records of `Options::recordLength`.
  void checkWholeRecords(const std::string& path, const std::string& bytes) const;

  std::string directory_;
  Options options_;
  bool glob_;  // `directory_` is a glob pattern of directories
  // The generator changes these; checkpoints and the batch log read them.
  mutable Mutex mu_;
  std::map<Time, std::vector<FileId>> selected_ EMBER_GUARDED_BY(mu_);  // files of each batch
  std::optional<Time> restored_ EMBER_GUARDED_BY(mu_);  // recovered: files not listed at start
  std::set<FileId> seen_ EMBER_GUARDED_BY(mu_);         // present at start, or already read
  // The generator's thread alone uses these.
  std::set<FileId> warned_;  // unreadable files already reported
  bool warned_missing_dir_ = false;
};

}  // namespace ember::detail
