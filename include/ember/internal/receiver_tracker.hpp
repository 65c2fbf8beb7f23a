#pragma once
/// Runs the context's receivers and keeps their blocks until batches take them.
///
/// Every `ember.streaming.blockInterval` a timer cuts each receiver's buffered records into
/// a block; at each batch time the job generator allocates all blocks received so far
/// (cutting the current ones first, so a batch holds everything received before its time)
/// to that batch. Thread-safe.

#include <condition_variable>
#include <deque>
#include <ember/receiver.hpp>
#include <ember/time.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ember {
class Conf;
}

namespace ember::detail {

class StreamingCore;

struct ReceivedBlock {
  std::shared_ptr<const void> block;
  size_t records = 0;
};

using MakeBlockGenerator =
    std::function<std::unique_ptr<BlockGeneratorBase>(BlockSink&, RateLimiter*)>;

class ReceiverTracker final : public BlockSink {
 public:
  ReceiverTracker(const Conf& conf, StreamingCore& core);
  ~ReceiverTracker() override;

  void addReceiver(int stream_id, std::shared_ptr<ReceiverBase> receiver, MakeBlockGenerator make);

  void start();
  /// Stops every receiver (`onStop`) and cuts what they buffered into blocks.
  void stop();

  void addBlock(int stream_id, std::shared_ptr<const void> block, size_t records) override;
  void allocateBlocksToBatch(Time t);
  std::vector<ReceivedBlock> blocksOf(Time t, int stream_id) const;
  bool hasUnallocatedBlocks() const;
  void cleanupOldBatches(Time before);
  /// Records stored by the receiver of `stream_id` so far (tests wait on this).
  uint64_t recordsStored(int stream_id) const;

 private:
  struct Entry;
  void timerLoop();

  StreamingCore& core_;
  Duration block_interval_;
  mutable std::mutex mu_;
  std::condition_variable timer_cv_;
  bool timer_stop_ = false;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::map<int, std::deque<ReceivedBlock>> unallocated_;
  std::map<Time, std::map<int, std::vector<ReceivedBlock>>> allocated_;
  std::thread timer_;
};

}  // namespace ember::detail
