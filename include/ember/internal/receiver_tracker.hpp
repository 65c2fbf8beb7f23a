#pragma once
/// Runs the context's receivers and keeps their blocks until batches take them.
///
/// Every `ember.streaming.blockInterval` a timer cuts each receiver's buffered records into
/// a block; at each batch time the job generator allocates all blocks received so far
/// (cutting the current ones first, so a batch holds everything received before its time)
/// to that batch. With the write-ahead log the batch does not cut (a cut writes and syncs):
/// it asks the timer to cut at once and takes the blocks already on disk. Thread-safe.

#include <atomic>
#include <deque>
#include <ember/internal/thread_annotations.hpp>
#include <ember/receiver.hpp>
#include <ember/time.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace ember {
class Conf;
}

namespace ember::detail {

class StreamingCore;
class WriteAheadLog;

struct ReceivedBlock {
  std::shared_ptr<const void> block;
  size_t records = 0;
  uint64_t seq = 0;  // in the write-ahead log (0 without it)
};

using MakeBlockGenerator =
    std::function<std::unique_ptr<BlockGeneratorBase>(BlockSink&, RateLimiter*)>;
/// Turns a block read back from the write-ahead log into the stream's block type.
using DecodeBlock = std::function<ReceivedBlock(std::shared_ptr<const std::string> encoded)>;

/// What a checkpoint keeps of the write-ahead log: the blocks it covers (sequence numbers
/// up to `upto` were allocated to its batches) and each stream's newest source position.
struct WalCheckpoint {
  uint64_t upto = 0;
  std::vector<std::tuple<int32_t, uint64_t, std::string>> positions;  // stream, seq, position
};

class ReceiverTracker final : public BlockSink {
 public:
  ReceiverTracker(const Conf& conf, StreamingCore& core);
  ~ReceiverTracker() override;

  void addReceiver(int stream_id, std::shared_ptr<ReceiverBase> receiver, MakeBlockGenerator make,
                   DecodeBlock decode);

  /// Starts the receivers; with `wal_directory`, blocks go through the write-ahead log there
  /// and blocks it holds that no restored checkpoint covers are replayed first (they go to
  /// the next batch).
  void start(const std::optional<std::string>& wal_directory = std::nullopt);
  /// Stops every receiver (`onStop`) and cuts what they buffered into blocks.
  void stop();

  void addBlock(int stream_id, std::shared_ptr<const void> block, size_t records,
                const std::string& position, const std::string& encoded) override;
  bool writesAhead() const override { return wal_ != nullptr; }
  std::optional<std::string> lastPosition(int stream_id) const override;

  /// The write-ahead log state as of batch `t` (for a checkpoint of `t`).
  WalCheckpoint walCheckpoint(Time t) const;
  /// Takes back a checkpoint's write-ahead log state (before start).
  void restoreWal(const WalCheckpoint& state);
  /// The log sequence numbers allocated to batch `t`: (from, to] (for the batch log).
  std::pair<uint64_t, uint64_t> walAllocation(Time t) const;
  /// Before start: batch `t`, which completed before the restart, held the logged blocks
  /// (from, to]; they go to `t` again instead of the next batch.
  void replayWalAllocation(Time t, uint64_t from, uint64_t to);
  /// Before start: batches up to `t` completed before the restart and run again only to
  /// rebuild state, so nothing received now goes to them.
  void setReplayUntil(Time t);
  /// A checkpoint covering blocks up to `upto` is on disk: their log segments can go.
  void walCovered(uint64_t upto);
  void allocateBlocksToBatch(Time t);
  std::vector<ReceivedBlock> blocksOf(Time t, int stream_id) const;
  bool hasUnallocatedBlocks() const;
  void cleanupOldBatches(Time before);
  /// Records stored by the receiver of `stream_id` so far (tests wait on this).
  uint64_t recordsStored(int stream_id) const;
  /// Blocks of records stored one by one that the write-ahead log could not keep (lost).
  uint64_t lostBlocks() const { return lost_blocks_.load(std::memory_order_relaxed); }
  /// Corrupt records skipped when the write-ahead log was read at start.
  uint64_t corruptLogRecords() const {
    return corrupt_log_records_.load(std::memory_order_relaxed);
  }
  /// Backpressure's rate for the receiver of `stream_id`, capped by
  /// `ember.streaming.receiver.maxRate` (Spark's BlockGenerator.updateRate).
  void updateRate(int stream_id, int64_t records_per_second);
  /// The rate the receiver of `stream_id` stores at (records per second; 0 for unlimited).
  int64_t currentRate(int stream_id) const;

 private:
  struct Entry;
  void timerLoop();
  /// Cuts the buffered records of `e` into a block; a failure is counted and logged, and,
  /// with `restart_on_failure`, restarts the receiver.
  void cutOrRestart(Entry& e, bool restart_on_failure);
  int64_t cappedRate(int64_t rate) const;     // `rate` within maxRate
  const Entry* entryOf(int stream_id) const;  // nullptr for no such receiver
  void queueBlock(int stream_id, ReceivedBlock block, const std::string& position)
      EMBER_EXCLUDES(mu_);

  StreamingCore& core_;
  Duration block_interval_;
  int64_t max_rate_ = 0;                         // ember.streaming.receiver.maxRate (<= 0: none)
  std::vector<std::unique_ptr<Entry>> entries_;  // filled before start, fixed afterwards
  std::thread timer_;
  std::atomic<uint64_t> lost_blocks_{0};
  std::atomic<uint64_t> corrupt_log_records_{0};
  std::unique_ptr<WriteAheadLog> wal_;  // set by start, before the receivers run

  /// Held by a log append (write and sync) until its block is queued: one append at a time,
  /// in sequence order. Taken before mu_, never by the job generator.
  Mutex append_mu_;
  mutable Mutex mu_ EMBER_ACQUIRED_AFTER(append_mu_);
  CondVar timer_cv_;
  bool timer_stop_ EMBER_GUARDED_BY(mu_) = false;
  bool cut_requested_ EMBER_GUARDED_BY(mu_) = false;  // with the log: a batch asks for a cut now
  std::map<int, std::deque<ReceivedBlock>> unallocated_ EMBER_GUARDED_BY(mu_);
  std::map<Time, std::map<int, std::vector<ReceivedBlock>>> allocated_ EMBER_GUARDED_BY(mu_);
  WalCheckpoint restored_wal_ EMBER_GUARDED_BY(mu_);
  // The highest sequence number allocated to a batch, and the same as of each recent batch.
  uint64_t allocated_upto_ EMBER_GUARDED_BY(mu_) = 0;
  std::map<Time, uint64_t> allocated_upto_at_ EMBER_GUARDED_BY(mu_);
  // stream -> newest (seq, position)
  std::map<int, std::pair<uint64_t, std::string>> positions_ EMBER_GUARDED_BY(mu_);
  // Recovery: batches run again only for their state, and the logged blocks they held.
  std::optional<Time> replay_until_ EMBER_GUARDED_BY(mu_);
  std::map<Time, std::pair<uint64_t, uint64_t>> replay_ranges_ EMBER_GUARDED_BY(mu_);
};

}  // namespace ember::detail
