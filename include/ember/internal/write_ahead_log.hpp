#pragma once
/// The receivers' write-ahead log (`ember.streaming.receiver.writeAheadLog.enable`): every
/// received block is appended and synced to disk before it counts as stored, so a reliable
/// receiver acknowledges only durable data, and blocks received but not yet covered by a
/// checkpoint are processed again after a crash.
///
/// Segment files `<checkpoint dir>/receivedBlockData/log-<first sequence number>`, each a
/// run of records:
///   fixed32 payload length  fixed64 hashBytes(payload)  payload
/// with payload = varint stream id, varint sequence number, string source position,
/// string encoded block (`encode(std::vector<T>)`). Sequence numbers grow across streams
/// and restarts. A record cut short by a crash ends the segment's readable part (it was
/// never synced, so never acknowledged); a segment is deleted once a checkpoint covers all
/// its blocks.

#include <cstdint>
#include <ember/internal/thread_annotations.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember::detail {

struct LoggedBlock {
  int stream_id = 0;
  uint64_t seq = 0;
  std::string position;  // the receiver's source position after this block ("" if none)
  std::string data;      // encode(std::vector<T>)
};

class WriteAheadLog {
 public:
  /// Opens (creating) `directory` and reads every intact record (see `recovered()`).
  explicit WriteAheadLog(std::string directory, uint64_t max_segment_bytes = 64 << 20);
  ~WriteAheadLog();
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  /// The records found when the log was opened, in sequence order.
  const std::vector<LoggedBlock>& recovered() const { return recovered_; }
  /// Records found corrupt (checksum mismatch) when the log was opened, and skipped.
  uint64_t corruptRecords() const { return corrupt_records_; }
  /// Drops the recovered records (once replayed) to free their memory.
  void releaseRecovered() {
    recovered_.clear();
    recovered_.shrink_to_fit();
  }

  /// Appends a block and syncs it; returns its sequence number. Throws `IoError` naming the
  /// file when it cannot be written (the block then does not count as stored).
  uint64_t append(int stream_id, const std::string& position, const std::string& data);

  /// Numbers new blocks after `seq` (the newest a checkpoint knows of: its segments may be
  /// gone already).
  void continueAfter(uint64_t seq);

  /// Deletes the segments whose blocks all have sequence numbers <= `seq` (covered by a
  /// checkpoint); the segment being written is closed first if it qualifies.
  void deleteUpTo(uint64_t seq);

  const std::string& directory() const { return directory_; }
  /// Segment files present (for tests).
  std::vector<std::string> segments() const;

  /// What one segment's bytes hold.
  struct SegmentContents {
    std::vector<LoggedBlock> blocks;  // the intact records, in file order
    uint64_t last = 0;                // their highest sequence number; 0: none
    uint64_t corrupt = 0;             // whole records whose checksum or layout is wrong
    uint64_t corrupt_bytes = 0;
    size_t end = 0;  // where the whole records end; bytes after it are a record cut short
  };
  /// Reads a segment's bytes: a corrupt record is skipped and counted, reading goes on
  /// with the next; a record cut short ends the readable part.
  static SegmentContents parseSegment(std::string_view bytes);

  /// Tests only: `hook` runs in every `append` just before the sync (a slow disk); an empty
  /// one removes it. Set it while no log is written.
  static void setBeforeSyncForTesting(std::function<void()> hook);

 private:
  struct Segment {
    std::string path;
    uint64_t first = 0, last = 0;  // sequence numbers it holds (last 0 while empty)
  };
  void openSegment() EMBER_REQUIRES(mu_);

  std::string directory_;
  uint64_t max_segment_bytes_;
  mutable Mutex mu_;
  std::vector<LoggedBlock> recovered_;  // read at start, before any append
  uint64_t corrupt_records_ = 0;        // likewise
  std::vector<Segment> closed_ EMBER_GUARDED_BY(mu_);
  std::optional<Segment> current_ EMBER_GUARDED_BY(mu_);
  int fd_ EMBER_GUARDED_BY(mu_) = -1;
  uint64_t current_bytes_ EMBER_GUARDED_BY(mu_) = 0;
  uint64_t next_seq_ EMBER_GUARDED_BY(mu_) = 1;
};

}  // namespace ember::detail
