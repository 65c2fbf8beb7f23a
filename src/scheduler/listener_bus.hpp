#pragma once
/// Delivers listener events on a thread of its own, from a bounded queue, so listeners
/// never slow batches down. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <ember/listener.hpp>
#include <functional>
#include <memory>
#include <mutex>
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

  // Guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<StreamingListener>> listeners_;
  std::deque<std::function<void(StreamingListener&)>> queue_;
  uint64_t posted_ = 0, delivered_ = 0, dropped_ = 0;
  bool drop_warning_ = false;  // reportDrops() owes a warning about dropped events
  bool stop_ = false;

  std::thread thread_;  // last: it runs loop() on the members above
};

}  // namespace ember::detail
