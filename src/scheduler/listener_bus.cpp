#include "scheduler/listener_bus.hpp"

#include <algorithm>
#include <ember/logging.hpp>

#include "core/engine_thread.hpp"

namespace ember::detail {

ListenerBus::ListenerBus()
    : thread_([this] {
        markEngineThread();  // a listener that stops the context must not wait for the bus
        loop();
      }) {}

ListenerBus::~ListenerBus() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ListenerBus::add(std::shared_ptr<StreamingListener> listener) {
  MutexLock lock(mu_);
  listeners_.push_back(std::move(listener));
}

void ListenerBus::remove(const std::shared_ptr<StreamingListener>& listener) {
  MutexLock lock(mu_);
  std::erase(listeners_, listener);
}

void ListenerBus::post(std::function<void(StreamingListener&)> event) {
  {
    MutexLock lock(mu_);
    if (listeners_.empty()) return;
    if (queue_.size() >= kCapacity) {
      // Said by reportDrops(): post() may be called under an engine lock.
      if (dropped_++ % 1000 == 0) drop_warning_ = true;
    } else {
      queue_.push_back(std::move(event));
      ++posted_;
    }
  }
  cv_.notify_all();
}

void ListenerBus::reportDrops() {
  uint64_t dropped;
  {
    MutexLock lock(mu_);
    if (!drop_warning_) return;
    drop_warning_ = false;
    dropped = dropped_;
  }
  logWarn("ListenerBus", "Listener event queue is full (" + std::to_string(kCapacity) +
                             " events): a listener is too slow; " + std::to_string(dropped) +
                             " events dropped so far");
}

void ListenerBus::drain(std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  uint64_t target = posted_;
  cv_.wait_for(mu_, timeout, [&]() EMBER_REQUIRES(mu_) { return delivered_ >= target || stop_; });
}

uint64_t ListenerBus::dropped() const {
  MutexLock lock(mu_);
  return dropped_;
}

void ListenerBus::loop() {
  MutexLock lock(mu_);
  for (;;) {
    cv_.wait(mu_, [&]() EMBER_REQUIRES(mu_) { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    auto event = std::move(queue_.front());
    queue_.pop_front();
    auto listeners = listeners_;
    lock.unlock();
    for (auto& l : listeners) {
      try {
        event(*l);
      } catch (const std::exception& e) {
        logError("ListenerBus", std::string("A streaming listener threw: ") + e.what());
      } catch (...) {
        logError("ListenerBus", "A streaming listener threw a non-standard exception");
      }
    }
    lock.lock();
    ++delivered_;
    cv_.notify_all();
  }
}

}  // namespace ember::detail
