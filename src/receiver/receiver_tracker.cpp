#include <chrono>
#include <ember/conf.hpp>
#include <ember/internal/receiver_tracker.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/listener.hpp>
#include <ember/logging.hpp>

#include "receiver/rate_limiter.hpp"
#include "receiver/receiver_supervisor.hpp"

namespace ember::detail {

struct ReceiverTracker::Entry {
  int stream_id;
  std::shared_ptr<ReceiverBase> receiver;
  MakeBlockGenerator make;
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
                                  MakeBlockGenerator make) {
  std::lock_guard lock(mu_);
  auto e = std::make_unique<Entry>();
  e->stream_id = stream_id;
  e->receiver = std::move(receiver);
  e->make = std::move(make);
  entries_.push_back(std::move(e));
}

void ReceiverTracker::start() {
  if (entries_.empty()) return;
  const Conf& conf = core_.conf();
  int64_t max_rate = conf.getLong("ember.streaming.receiver.maxRate");
  Duration restart_delay = conf.getDuration("ember.streaming.receiverRestartDelay");
  for (auto& e : entries_) {
    e->limiter = std::make_unique<RateLimiter>(max_rate);
    e->generator = e->make(*this, e->limiter.get());
    e->supervisor = std::make_unique<ReceiverSupervisor>(e->receiver, e->stream_id, restart_delay);
    // Listener events: a ReceiverInfo that remembers the last error.
    auto info = std::make_shared<ReceiverInfo>();
    info->streamId = e->stream_id;
    info->name = e->receiver->name();
    e->supervisor->setEventHook([this, info](ReceiverEvent event, const std::string& message) {
      ReceiverInfo snapshot;
      {
        std::lock_guard lock(mu_);
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
    std::lock_guard lock(mu_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& e : entries_) {
    // Wake receiver threads sleeping in the rate limiter first, so onStop can join them.
    if (e->limiter) e->limiter->close();
    if (e->supervisor) e->supervisor->stop("stopped by the streaming context");
    if (e->generator) {
      e->generator->cut();
      e->generator->close();
    }
  }
}

void ReceiverTracker::timerLoop() {
  std::unique_lock lock(mu_);
  while (!timer_stop_) {
    timer_cv_.wait_for(lock, block_interval_.toChrono(), [&] { return timer_stop_; });
    if (timer_stop_) return;
    lock.unlock();
    for (auto& e : entries_) e->generator->cut();
    lock.lock();
  }
}

void ReceiverTracker::addBlock(int stream_id, std::shared_ptr<const void> block, size_t records) {
  std::lock_guard lock(mu_);
  unallocated_[stream_id].push_back({std::move(block), records});
}

void ReceiverTracker::allocateBlocksToBatch(Time t) {
  // Cut first, so that the batch holds everything received before its time.
  for (auto& e : entries_) {
    if (e->generator) e->generator->cut();
  }
  std::lock_guard lock(mu_);
  auto& batch = allocated_[t];
  for (auto& [stream, blocks] : unallocated_) {
    auto& dst = batch[stream];
    for (auto& b : blocks) dst.push_back(std::move(b));
    blocks.clear();
  }
}

std::vector<ReceivedBlock> ReceiverTracker::blocksOf(Time t, int stream_id) const {
  std::lock_guard lock(mu_);
  auto it = allocated_.find(t);
  if (it == allocated_.end()) return {};
  auto s = it->second.find(stream_id);
  return s == it->second.end() ? std::vector<ReceivedBlock>{} : s->second;
}

bool ReceiverTracker::hasUnallocatedBlocks() const {
  std::lock_guard lock(mu_);
  for (const auto& [stream, blocks] : unallocated_) {
    if (!blocks.empty()) return true;
  }
  return false;
}

void ReceiverTracker::cleanupOldBatches(Time before) {
  std::lock_guard lock(mu_);
  allocated_.erase(allocated_.begin(), allocated_.lower_bound(before));
}

uint64_t ReceiverTracker::recordsStored(int stream_id) const {
  for (const auto& e : entries_) {
    if (e->stream_id == stream_id && e->generator) return e->generator->recordsStored();
  }
  return 0;
}

}  // namespace ember::detail
