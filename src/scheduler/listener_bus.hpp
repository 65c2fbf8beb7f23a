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
  /// Queues `event` for every listener; drops it (and counts) when the queue is full.
  void post(std::function<void(StreamingListener&)> event);
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
  bool stop_ EMBER_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ember::detail
