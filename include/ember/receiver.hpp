#pragma once
/// Custom receivers, as in Spark (`Receiver[T]`):
///
///   class LineReceiver : public ember::Receiver<std::string> {
///    public:
///     void onStart() override { thread_ = std::thread([this] { receive(); }); }
///     void onStop() override { if (thread_.joinable()) thread_.join(); }
///    private:
///     void receive() {
///       while (!isStopped()) {
///         ... read a line; on a broken connection: restart("connection lost"); return;
///         store(line);
///       }
///     }
///     std::thread thread_;
///   };
///   auto lines = ssc.receiverStream(std::make_shared<LineReceiver>());
///
/// `onStart` must not block: start a thread there. That thread loops while `!isStopped()`.
/// `store(item)` buffers the item into the current block (cut every
/// `ember.streaming.blockInterval`, rate-limited by `ember.streaming.receiver.maxRate`):
/// an unreliable receiver. `store(std::vector<T>)` stores a whole block and returns only
/// once it is stored: acknowledge the source after it returns for a reliable receiver.
/// `restart` runs `onStop`, waits `ember.streaming.receiverRestartDelay`, then `onStart`,
/// on another thread. All methods are thread-safe.

#include <atomic>
#include <ember/codec.hpp>
#include <ember/error.hpp>
#include <ember/internal/rdd_node.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/time.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ember {

namespace detail {
class ReceiverSupervisor;
class RateLimiter;

/// Where a receiver's blocks go (the receiver tracker). Thread-safe.
class BlockSink {
 public:
  virtual ~BlockSink() = default;
  /// `encoded` (`encode(std::vector<T>)` of the records) is only asked for when
  /// `writesAhead()`; `position` is the receiver's source position after the block ("" for
  /// none). Returns once the block is stored (durable with the write-ahead log).
  virtual void addBlock(int stream_id, std::shared_ptr<const void> block, size_t records,
                        const std::string& position, const std::string& encoded) = 0;
  /// Whether blocks go to the write-ahead log (and must come encoded).
  virtual bool writesAhead() const = 0;
  /// The source position of the newest block of `stream_id` stored, in this run or, with
  /// the write-ahead log, before a restart.
  virtual std::optional<std::string> lastPosition(int stream_id) const = 0;
};

/// Type-independent part of a block generator, driven by the tracker's interval timer.
class BlockGeneratorBase {
 public:
  virtual ~BlockGeneratorBase() = default;
  /// Turns what was stored since the last cut into a block and hands it to the sink.
  virtual void cut() = 0;
  /// Records stored so far (for tests and the UI).
  virtual uint64_t recordsStored() const = 0;
  virtual void close() = 0;
};

/// Blocks until `n` records may pass under `ember.streaming.receiver.maxRate`.
void rateLimiterAcquire(RateLimiter* limiter, size_t n);
/// Ends every wait of `rateLimiterAcquire` (the receiver stops).
void rateLimiterClose(RateLimiter* limiter);
}  // namespace detail

/// Untyped part of a receiver: lifecycle and error reporting.
class ReceiverBase {
 public:
  ReceiverBase() = default;
  virtual ~ReceiverBase() = default;
  ReceiverBase(const ReceiverBase&) = delete;
  ReceiverBase& operator=(const ReceiverBase&) = delete;

  /// Starts receiving: must return quickly (start a thread).
  virtual void onStart() = 0;
  /// Stops receiving: called on stop and before a restart; let the threads end.
  virtual void onStop() = 0;
  /// A name for logs and the UI.
  virtual std::string name() const { return "Receiver"; }

  /// Restarts the receiver asynchronously after `ember.streaming.receiverRestartDelay`
  /// (or `delay`), logging `message` (and `error`).
  void restart(const std::string& message);
  void restart(const std::string& message, Duration delay);
  void restart(const std::string& message, std::exception_ptr error);
  /// Reports a problem without stopping the receiver.
  void reportError(const std::string& message, std::exception_ptr error = nullptr);
  /// Stops this receiver for good (the stream continues with empty batches).
  void stop(const std::string& message);

  bool isStarted() const;
  bool isStopped() const;
  /// The id of the input stream this receiver feeds.
  int streamId() const;

 private:
  friend class detail::ReceiverSupervisor;
  // Set and cleared by the supervisor on the context's threads, used on the receiver's own
  // threads, which may outlive it: each call into the supervisor holds the lock shared, so
  // the supervisor's destructor waits for it.
  mutable detail::SharedMutex supervisor_mu_;
  detail::ReceiverSupervisor* supervisor_ EMBER_GUARDED_BY(supervisor_mu_) = nullptr;
};

namespace detail {
template <class T>
class BlockGenerator;
}

template <class T>
class Receiver : public ReceiverBase {
 public:
  using value_type = T;

  /// Buffers one record into the current block (unreliable; rate-limited).
  void store(T item);
  /// Like `store(item)` for each element, with one lock and one rate-limit wait.
  void storeMany(std::vector<T>& items);
  /// Stores `items` as one block and returns once it is stored (reliable): with
  /// `ember.streaming.receiver.writeAheadLog.enable`, once it is on disk.
  void store(std::vector<T> items);
  /// As `store(items)`, recording `position`, the source's position after these items (an
  /// offset, a sequence number). With the write-ahead log the position is durable with the
  /// block, and after a restart `lastStoredPosition()` tells where to resume, so a source
  /// that can replay gives every record exactly once.
  void store(std::vector<T> items, std::string position);
  /// The position given with the newest block stored by this stream's receiver, in this
  /// run or (with the write-ahead log) before a crash; nothing if none was given.
  std::optional<std::string> lastStoredPosition() const;

 private:
  template <class>
  friend class detail::BlockGenerator;
  /// Runs `f` on the block generator, which cannot go away meanwhile (a receiver thread
  /// may store while the context stops); throws if the receiver is not running.
  template <class F>
  decltype(auto) withGenerator(F&& f) const;
  mutable detail::SharedMutex generator_mu_;
  detail::BlockGenerator<T>* generator_ EMBER_GUARDED_BY(generator_mu_) = nullptr;
};

namespace detail {

/// Collects a receiver's records and cuts them into blocks. Thread-safe.
template <class T>
class BlockGenerator final : public BlockGeneratorBase {
 public:
  BlockGenerator(Receiver<T>& receiver, int stream_id, BlockSink& sink, RateLimiter* limiter)
      : receiver_(receiver), stream_id_(stream_id), sink_(sink), limiter_(limiter) {
    detail::WriterLock lock(receiver_.generator_mu_);
    receiver_.generator_ = this;
  }
  ~BlockGenerator() override {
    detail::WriterLock lock(receiver_.generator_mu_);  // waits for stores under way
    receiver_.generator_ = nullptr;
  }

  void add(T&& item) {
    if (closed()) return;
    rateLimiterAcquire(limiter_, 1);
    MutexLock lock(mu_);
    current_.push_back(std::move(item));
    stored_.fetch_add(1, std::memory_order_relaxed);
  }
  void addMany(std::vector<T>& items) {
    if (items.empty() || closed()) return;
    size_t n = items.size();
    rateLimiterAcquire(limiter_, n);
    MutexLock lock(mu_);
    if (current_.empty()) {
      current_.swap(items);
    } else {
      current_.insert(current_.end(), std::make_move_iterator(items.begin()),
                      std::make_move_iterator(items.end()));
    }
    stored_.fetch_add(n, std::memory_order_relaxed);
    items.clear();
  }
  void addBlock(std::vector<T>&& items, std::string position = {}) {
    if (closed()) {
      throw UsageError("Receiver '" + receiver_.name() +
                       "': store(block) after the receiver stopped; the block was not stored");
    }
    rateLimiterAcquire(limiter_, items.size());
    MutexLock lock(cut_mu_);
    cutLocked();  // keep order: records stored earlier go first
    size_t n = items.size();
    push(std::move(items), position);
    stored_.fetch_add(n, std::memory_order_relaxed);
  }
  std::optional<std::string> lastPosition() const { return sink_.lastPosition(stream_id_); }
  void cut() override {
    MutexLock lock(cut_mu_);
    cutLocked();
  }
  uint64_t recordsStored() const override { return stored_.load(std::memory_order_relaxed); }
  /// After `close()`, records stored by lingering receiver threads are dropped (and a
  /// whole-block store throws, so a reliable receiver does not acknowledge it).
  void close() override {
    closed_.store(true);
    rateLimiterClose(limiter_);
  }

 private:
  bool closed() const { return closed_.load(std::memory_order_relaxed); }
  void cutLocked() EMBER_REQUIRES(cut_mu_) {
    std::vector<T> taken;
    {
      MutexLock lock(mu_);
      taken.swap(current_);
    }
    if (!taken.empty()) push(std::move(taken));
  }
  void push(std::vector<T>&& records, const std::string& position = {}) EMBER_REQUIRES(cut_mu_) {
    size_t n = records.size();
    auto block = std::make_shared<Block<T>>();
    block->records = std::move(records);
    std::string encoded;
    if (sink_.writesAhead()) {
      if constexpr (Encodable<std::vector<T>>) {
        encoded = encode(block->records);
      } else {
        throw UsageError("Receiver '" + receiver_.name() +
                         "': its record type has no codec, so the write-ahead log cannot hold "
                         "its blocks (declare it with EMBER_STRUCT)");
      }
    }
    sink_.addBlock(stream_id_, std::move(block), n, position, encoded);
  }

  Receiver<T>& receiver_;
  int stream_id_;
  BlockSink& sink_;
  RateLimiter* limiter_;
  Mutex cut_mu_;  // orders cuts and whole-block stores
  Mutex mu_ EMBER_ACQUIRED_AFTER(cut_mu_);
  std::vector<T> current_ EMBER_GUARDED_BY(mu_);
  std::atomic<uint64_t> stored_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace detail

template <class T>
template <class F>
decltype(auto) Receiver<T>::withGenerator(F&& f) const {
  detail::ReaderLock lock(generator_mu_);
  if (generator_ == nullptr) {
    throw UsageError("Receiver '" + name() + "': store() called while the receiver is not running");
  }
  return std::forward<F>(f)(*generator_);
}

template <class T>
void Receiver<T>::store(T item) {
  withGenerator([&](detail::BlockGenerator<T>& g) { g.add(std::move(item)); });
}

template <class T>
void Receiver<T>::storeMany(std::vector<T>& items) {
  withGenerator([&](detail::BlockGenerator<T>& g) { g.addMany(items); });
}

template <class T>
void Receiver<T>::store(std::vector<T> items) {
  withGenerator([&](detail::BlockGenerator<T>& g) { g.addBlock(std::move(items)); });
}

template <class T>
void Receiver<T>::store(std::vector<T> items, std::string position) {
  withGenerator(
      [&](detail::BlockGenerator<T>& g) { g.addBlock(std::move(items), std::move(position)); });
}

template <class T>
std::optional<std::string> Receiver<T>::lastStoredPosition() const {
  return withGenerator([](detail::BlockGenerator<T>& g) { return g.lastPosition(); });
}

}  // namespace ember
