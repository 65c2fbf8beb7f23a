#include <algorithm>
#include <chrono>
#include <ember/conf.hpp>
#include <ember/internal/receiver_tracker.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/internal/write_ahead_log.hpp>
#include <ember/listener.hpp>
#include <ember/logging.hpp>

#include "receiver/rate_limiter.hpp"
#include "receiver/receiver_supervisor.hpp"

namespace ember::detail {

struct ReceiverTracker::Entry {
  int stream_id;
  std::shared_ptr<ReceiverBase> receiver;
  MakeBlockGenerator make;
  DecodeBlock decode;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<BlockGeneratorBase> generator;
  std::unique_ptr<ReceiverSupervisor> supervisor;
};

ReceiverTracker::ReceiverTracker(const Conf& conf, StreamingCore& core)
    : core_(core), block_interval_(conf.getDuration("ember.streaming.blockInterval")) {}

ReceiverTracker::~ReceiverTracker() {
  stop();
  // Supervisors (and their restart threads) go before the generators the receivers use.
  for (auto& e : entries_) e->supervisor.reset();
}

void ReceiverTracker::addReceiver(int stream_id, std::shared_ptr<ReceiverBase> receiver,
                                  MakeBlockGenerator make, DecodeBlock decode) {
  MutexLock lock(mu_);
  auto e = std::make_unique<Entry>();
  e->stream_id = stream_id;
  e->receiver = std::move(receiver);
  e->make = std::move(make);
  e->decode = std::move(decode);
  entries_.push_back(std::move(e));
}

void ReceiverTracker::start(const std::optional<std::string>& wal_directory) {
  if (entries_.empty()) return;
  if (wal_directory) {
    wal_ = std::make_unique<WriteAheadLog>(*wal_directory);
    corrupt_log_records_.store(wal_->corruptRecords(), std::memory_order_relaxed);
    size_t replayed = 0, rebuilt = 0;
    MutexLock lock(mu_);
    wal_->continueAfter(restored_wal_.upto);
    for (const auto& [stream, seq, position] : restored_wal_.positions) {
      positions_[stream] = {seq, position};
      wal_->continueAfter(seq);
    }
    for (const LoggedBlock& b : wal_->recovered()) {
      auto& newest = positions_[b.stream_id];
      if (b.seq > newest.first && !b.position.empty()) newest = {b.seq, b.position};
      if (b.seq <= restored_wal_.upto) continue;  // a checkpoint holds its effect
      auto entry = std::find_if(entries_.begin(), entries_.end(),
                                [&](const auto& e) { return e->stream_id == b.stream_id; });
      if (entry == entries_.end()) continue;
      ReceivedBlock block = (*entry)->decode(std::make_shared<const std::string>(b.data));
      block.seq = b.seq;
      // A batch that completed before the restart takes back the blocks it held.
      auto batch = std::find_if(replay_ranges_.begin(), replay_ranges_.end(), [&](const auto& r) {
        return r.second.first < b.seq && b.seq <= r.second.second;
      });
      if (batch != replay_ranges_.end()) {
        allocated_[batch->first][b.stream_id].push_back(std::move(block));
        ++rebuilt;
      } else {
        unallocated_[b.stream_id].push_back(std::move(block));
        ++replayed;
      }
    }
    std::erase_if(positions_, [](const auto& p) { return p.second.second.empty(); });
    allocated_upto_ = restored_wal_.upto;
    for (const auto& [t, range] : replay_ranges_) {
      allocated_upto_ = std::max(allocated_upto_, range.second);
      allocated_upto_at_[t] = allocated_upto_;
    }
    wal_->releaseRecovered();
    lock.unlock();
    if (replayed > 0) {
      logInfo("ReceiverTracker", "Replaying " + std::to_string(replayed) +
                                     " received blocks from the write-ahead log in '" +
                                     *wal_directory + "' that no checkpoint covers");
    }
    if (rebuilt > 0) {
      logInfo("ReceiverTracker", "Giving " + std::to_string(rebuilt) +
                                     " logged blocks back to the batches that held them before "
                                     "the restart (run again to rebuild state)");
    }
  }
  const Conf& conf = core_.conf();
  max_rate_ = conf.getLong("ember.streaming.receiver.maxRate");
  // As Spark's receivers: backpressure's initialRate (capped by maxRate) until its first
  // estimate, else maxRate, else unlimited. No slow start from pid.minRate: a batch of a few
  // records is processed in under a millisecond, which the PID estimator skips as Spark's
  // does, so such a start would never climb.
  int64_t start_rate = max_rate_;
  if (conf.getBool("ember.streaming.backpressure.enabled") &&
      conf.getOption("ember.streaming.backpressure.initialRate")) {
    start_rate = cappedRate(conf.getLong("ember.streaming.backpressure.initialRate"));
  }
  Duration restart_delay = conf.getDuration("ember.streaming.receiverRestartDelay");
  for (auto& e : entries_) {
    e->limiter = std::make_unique<RateLimiter>(start_rate);
    e->generator = e->make(*this, e->limiter.get());
    e->supervisor = std::make_unique<ReceiverSupervisor>(e->receiver, e->stream_id, restart_delay);
    // Listener events: a ReceiverInfo that remembers the last error.
    auto info = std::make_shared<ReceiverInfo>();
    info->streamId = e->stream_id;
    info->name = e->receiver->name();
    e->supervisor->setEventHook([this, info](ReceiverEvent event, const std::string& message) {
      ReceiverInfo snapshot;
      {
        MutexLock lock(mu_);
        if (event == ReceiverEvent::kError) {
          info->lastErrorMessage = message;
          info->lastError = message;
          info->lastErrorTime = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
        }
        info->active = event != ReceiverEvent::kStopped;
        snapshot = *info;
      }
      core_.postEvent([snapshot, event](StreamingListener& l) {
        switch (event) {
          case ReceiverEvent::kStarted:
            l.onReceiverStarted(snapshot);
            break;
          case ReceiverEvent::kError:
            l.onReceiverError(snapshot);
            break;
          case ReceiverEvent::kStopped:
            l.onReceiverStopped(snapshot);
            break;
        }
      });
    });
  }
  timer_ = std::thread([this] { timerLoop(); });
  for (auto& e : entries_) e->supervisor->start();
}

void ReceiverTracker::stop() {
  {
    MutexLock lock(mu_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& e : entries_) {
    // Wake receiver threads sleeping in the rate limiter first, so onStop can join them.
    if (e->limiter) e->limiter->close();
    if (e->supervisor) e->supervisor->stop("stopped by the streaming context");
    if (e->generator) {
      cutOrRestart(*e, /*restart_on_failure=*/false);
      e->generator->close();
    }
  }
}

void ReceiverTracker::timerLoop() {
  MutexLock lock(mu_);
  while (!timer_stop_) {
    timer_cv_.wait_for(mu_, block_interval_.toChrono(),
                       [&]() EMBER_REQUIRES(mu_) { return timer_stop_ || cut_requested_; });
    if (timer_stop_) return;
    cut_requested_ = false;
    lock.unlock();
    for (auto& e : entries_) cutOrRestart(*e, /*restart_on_failure=*/true);
    lock.lock();
  }
}

void ReceiverTracker::addBlock(int stream_id, std::shared_ptr<const void> block, size_t records,
                               const std::string& position, const std::string& encoded) {
  // Durable before it counts as stored. Appends are serialised (append_mu_) and each queues
  // its block before the next begins, so blocks are queued in sequence order and a batch
  // never takes a block while an earlier sequence number is still on its way.
  if (wal_) {
    MutexLock append_lock(append_mu_);
    uint64_t seq = wal_->append(stream_id, position, encoded);
    queueBlock(stream_id, {std::move(block), records, seq}, position);
  } else {
    queueBlock(stream_id, {std::move(block), records, 0}, position);
  }
}

void ReceiverTracker::queueBlock(int stream_id, ReceivedBlock block, const std::string& position) {
  MutexLock lock(mu_);
  if (!position.empty()) positions_[stream_id] = {block.seq, position};
  unallocated_[stream_id].push_back(std::move(block));
}

std::optional<std::string> ReceiverTracker::lastPosition(int stream_id) const {
  MutexLock lock(mu_);
  auto it = positions_.find(stream_id);
  if (it == positions_.end()) return std::nullopt;
  return it->second.second;
}

void ReceiverTracker::allocateBlocksToBatch(Time t) {
  {
    MutexLock lock(mu_);
    // A batch run again after a restart holds what it held before (restored at start).
    if (replay_until_ && t <= *replay_until_) return;
  }
  if (wal_) {
    // A cut writes the block to the log and syncs it: never on the job generator's thread.
    // The block timer cuts now, and the blocks on disk by then go to the next batch.
    {
      MutexLock lock(mu_);
      cut_requested_ = true;
    }
    timer_cv_.notify_all();
  } else {
    // Cut first, so that the batch holds everything received before its time.
    for (auto& e : entries_) {
      if (e->generator) cutOrRestart(*e, /*restart_on_failure=*/true);
    }
  }
  // No append_mu_: appends are serialised by it and queue their block before releasing it,
  // so every queued block's sequence number is below any append still on its way, and a
  // checkpoint's "allocated up to n" covers all of 1..n without waiting for a sync.
  MutexLock lock(mu_);
  auto& batch = allocated_[t];
  for (auto& [stream, blocks] : unallocated_) {
    auto& dst = batch[stream];
    for (auto& b : blocks) {
      allocated_upto_ = std::max(allocated_upto_, b.seq);
      dst.push_back(std::move(b));
    }
    blocks.clear();
  }
  if (wal_) {
    allocated_upto_at_[t] = allocated_upto_;
    // Enough for a checkpoint running far behind generation.
    while (allocated_upto_at_.size() > 10000) allocated_upto_at_.erase(allocated_upto_at_.begin());
  }
}

WalCheckpoint ReceiverTracker::walCheckpoint(Time t) const {
  MutexLock lock(mu_);
  WalCheckpoint out;
  auto it = allocated_upto_at_.upper_bound(t);
  out.upto = it == allocated_upto_at_.begin() ? restored_wal_.upto : std::prev(it)->second;
  for (const auto& [stream, p] : positions_) out.positions.emplace_back(stream, p.first, p.second);
  return out;
}

void ReceiverTracker::cutOrRestart(Entry& e, bool restart_on_failure) {
  try {
    e.generator->cut();
  } catch (const std::exception& error) {
    // With the write-ahead log a failed write (a full disk) loses the block: its records
    // were stored one by one, so no source was told they were kept. Count it, and restart
    // the receiver, so that it stops taking data it cannot keep (its source is disconnected
    // or waits) and its last error says why.
    lost_blocks_.fetch_add(1, std::memory_order_relaxed);
    std::string message = "Receiver '" + e.receiver->name() +
                          "': a block of records stored one by one was lost: " + error.what();
    logError("ReceiverTracker", message);
    if (restart_on_failure && e.supervisor) {
      e.supervisor->restart(message + "; restarting the receiver", std::nullopt,
                            std::current_exception());
    }
  }
}

std::pair<uint64_t, uint64_t> ReceiverTracker::walAllocation(Time t) const {
  MutexLock lock(mu_);
  auto it = allocated_upto_at_.find(t);
  if (it == allocated_upto_at_.end()) return {0, 0};
  uint64_t from = it == allocated_upto_at_.begin() ? restored_wal_.upto : std::prev(it)->second;
  return {from, it->second};
}

void ReceiverTracker::replayWalAllocation(Time t, uint64_t from, uint64_t to) {
  MutexLock lock(mu_);
  if (to > from) replay_ranges_[t] = {from, to};
}

void ReceiverTracker::setReplayUntil(Time t) {
  MutexLock lock(mu_);
  replay_until_ = t;
}

void ReceiverTracker::restoreWal(const WalCheckpoint& state) {
  MutexLock lock(mu_);
  restored_wal_ = state;
}

void ReceiverTracker::walCovered(uint64_t upto) {
  if (wal_) wal_->deleteUpTo(upto);
}

std::vector<ReceivedBlock> ReceiverTracker::blocksOf(Time t, int stream_id) const {
  MutexLock lock(mu_);
  auto it = allocated_.find(t);
  if (it == allocated_.end()) return {};
  auto s = it->second.find(stream_id);
  return s == it->second.end() ? std::vector<ReceivedBlock>{} : s->second;
}

bool ReceiverTracker::hasUnallocatedBlocks() const {
  MutexLock lock(mu_);
  for (const auto& [stream, blocks] : unallocated_) {
    if (!blocks.empty()) return true;
  }
  return false;
}

void ReceiverTracker::cleanupOldBatches(Time before) {
  MutexLock lock(mu_);
  allocated_.erase(allocated_.begin(), allocated_.lower_bound(before));
}

int64_t ReceiverTracker::cappedRate(int64_t rate) const {
  return max_rate_ > 0 && (rate <= 0 || rate > max_rate_) ? max_rate_ : rate;
}

const ReceiverTracker::Entry* ReceiverTracker::entryOf(int stream_id) const {
  for (const auto& e : entries_) {
    if (e->stream_id == stream_id) return e.get();
  }
  return nullptr;
}

void ReceiverTracker::updateRate(int stream_id, int64_t records_per_second) {
  if (records_per_second <= 0) return;  // as Spark: only positive rates are taken
  if (const Entry* e = entryOf(stream_id); e != nullptr && e->limiter) {
    e->limiter->setRate(cappedRate(records_per_second));
  }
}

int64_t ReceiverTracker::currentRate(int stream_id) const {
  const Entry* e = entryOf(stream_id);
  return e != nullptr && e->limiter ? std::max<int64_t>(0, e->limiter->rate()) : 0;
}

uint64_t ReceiverTracker::recordsStored(int stream_id) const {
  const Entry* e = entryOf(stream_id);
  return e != nullptr && e->generator ? e->generator->recordsStored() : 0;
}

}  // namespace ember::detail
