#pragma once
/// Which threads belong to the engine. `StreamingContext::stop()` called on one of them only
/// requests the teardown: the teardown may join that very thread (a job thread, a task
/// thread, the listener bus, a receiver's own thread), so waiting there would deadlock.
///
/// Marked: every thread the engine starts, the threads that run tasks and receivers'
/// callbacks (`onStart`/`onStop`, while they run). Receivers' own threads are marked apart
/// (from their first `store`, `restart`, `reportError` or `stop`): a test's main thread may
/// store too, and the context treats the thread that started it as the user's whatever it
/// did. Thread-local state; no locks.

namespace ember::detail {

/// Marks the calling thread as an engine thread for the rest of its life.
void markEngineThread();

/// Whether the calling thread is an engine thread (marked, or inside an `EngineThreadScope`).
bool onEngineThread();

/// Marks the calling thread as a thread that feeds a receiver, for the rest of its life.
void markReceiverThread();

/// Whether the calling thread has fed a receiver (`markReceiverThread`).
bool onReceiverThread();

/// Marks the calling thread as an engine thread while it lives (around user callbacks the
/// engine makes on a thread that is not its own, such as `onStart` during `start()`).
class EngineThreadScope {
 public:
  EngineThreadScope();
  ~EngineThreadScope();
  EngineThreadScope(const EngineThreadScope&) = delete;
  EngineThreadScope& operator=(const EngineThreadScope&) = delete;

 private:
  bool previous_;
};

}  // namespace ember::detail
