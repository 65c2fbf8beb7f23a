#pragma once
/// Delivers listener events on a thread of its own, from a bounded queue, so listeners
/// never slow batches down. Thread-safe.

#include <chrono>
#include <cstdint>
#include <deque>
#include <ember/internal/thread_annotations.hpp>
#include <ember/listener.hpp>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace ember::detail {

class ListenerBus {
 public:
  static constexpr size_t kCapacity = 10000;

  ListenerBus();
  ~ListenerBus();  // delivers what is queued, then stops

  void add(std::shared_ptr<StreamingListener> listener);
  void remove(const std::shared_ptr<StreamingListener>& listener);
  /// Queues `event` for every listener; drops it (and counts) when the queue is full. Never
  /// logs, so it may be called under an engine lock: call `reportDrops()` after releasing it.
  void post(std::function<void(StreamingListener&)> event);
  /// Logs a warning if events were dropped since the last warning (one per 1000 drops).
  void reportDrops();
  /// Waits (at most `timeout`) until every event posted so far has been delivered.
  void drain(std::chrono::milliseconds timeout);
  uint64_t dropped() const;

 private:
  void loop();

  mutable Mutex mu_;
  CondVar cv_;
  std::vector<std::shared_ptr<StreamingListener>> listeners_ EMBER_GUARDED_BY(mu_);
  std::deque<std::function<void(StreamingListener&)>> queue_ EMBER_GUARDED_BY(mu_);
  uint64_t posted_ EMBER_GUARDED_BY(mu_) = 0;
  uint64_t delivered_ EMBER_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ EMBER_GUARDED_BY(mu_) = 0;
  bool drop_warning_ EMBER_GUARDED_BY(mu_) = false;  // reportDrops() owes a warning
  bool stop_ EMBER_GUARDED_BY(mu_) = false;

  std::thread thread_;  // last: it runs loop() on the members above
};

}  // namespace ember::detail
