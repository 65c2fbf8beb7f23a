#pragma once
/// Input DStream nodes: receiver-fed, queue-fed and generated streams.

#include <deque>
#include <ember/internal/dstream_node.hpp>
#include <ember/internal/receiver_tracker.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/rdd.hpp>
#include <ember/receiver.hpp>
#include <mutex>

namespace ember {

/// A thread-safe queue of RDDs feeding `StreamingContext::queueStream` (Spark's
/// `Queue[RDD[T]]`): push from any thread, before or after `start()`.
template <class T>
class RddQueue {
 public:
  void push(RDD<T> rdd) {
    detail::MutexLock lock(mu_);
    queue_.push_back(std::move(rdd));
  }
  size_t size() const {
    detail::MutexLock lock(mu_);
    return queue_.size();
  }
  /// Takes the first RDD (`one_at_a_time`) or all of them.
  std::vector<RDD<T>> take(bool one_at_a_time) {
    detail::MutexLock lock(mu_);
    std::vector<RDD<T>> out;
    if (queue_.empty()) return out;
    if (one_at_a_time) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    } else {
      out.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    return out;
  }

 private:
  mutable detail::Mutex mu_;
  std::deque<RDD<T>> queue_ EMBER_GUARDED_BY(mu_);
};

namespace detail {

template <class T>
class ReceiverInputNode final : public DStreamNode<T>, public InputNode {
  bool writesAhead() const {
    return this->core().conf().getBool("ember.streaming.receiver.writeAheadLog.enable");
  }

 public:
  ReceiverInputNode(StreamingCore* core, std::shared_ptr<Receiver<T>> receiver)
      : DStreamNode<T>(core, {}, receiver->name()) {
    Receiver<T>* r = receiver.get();
    int id = this->id();
    core->receiverTracker().addReceiver(
        id, std::move(receiver),
        [r, id](BlockSink& sink, RateLimiter* limiter) {
          return std::unique_ptr<BlockGeneratorBase>(new BlockGenerator<T>(*r, id, sink, limiter));
        },
        [](std::shared_ptr<const std::string> encoded) {
          ReceivedBlock out;
          if constexpr (Encodable<std::vector<T>>) {
            auto block = std::make_shared<Block<T>>();
            block->records = decode<std::vector<T>>(*encoded);  // views point into `encoded`
            block->owner = std::move(encoded);
            out.records = block->records.size();
            out.block = std::move(block);
          }
          return out;
        });
  }
  DStreamNodeBase& node() override { return *this; }
  bool rateControlled() const override { return true; }
  void publishRate(int64_t records_per_second) override {
    this->core().receiverTracker().updateRate(this->id(), records_per_second);
  }

  /// With the write-ahead log, checkpoints record which logged blocks their batches hold.
  bool checkpointed() const override { return writesAhead(); }
  void checkCheckpointable() const override {
    if (writesAhead() && !Encodable<std::vector<T>>) {
      throw UsageError("Receiver stream '" + this->name() +
                       "': ember.streaming.receiver.writeAheadLog.enable needs a codec for its "
                       "record type (declare it with EMBER_STRUCT, see docs/codecs.md)");
    }
  }
  std::function<void(ByteWriter&)> checkpointSnapshot(Time t) override {
    if (!writesAhead()) return {};
    auto state = this->core().receiverTracker().walCheckpoint(t);
    return [state](ByteWriter& out) {
      Codec<uint64_t>::encode(state.upto, out);
      Codec<decltype(state.positions)>::encode(state.positions, out);
    };
  }
  std::function<void()> checkpointWritten(Time t) override {
    if (!writesAhead()) return {};
    uint64_t upto = this->core().receiverTracker().walCheckpoint(t).upto;
    return [tracker = &this->core().receiverTracker(), upto] {
      tracker->walCovered(upto);
    };
  }
  /// The batch log holds the logged blocks each batch took; a restart gives them back.
  std::function<void(ByteWriter&)> batchRecord(Time t) override {
    if (!writesAhead()) return {};
    auto [from, to] = this->core().receiverTracker().walAllocation(t);
    return [from, to](ByteWriter& out) {
      out.writeVarint(from);
      out.writeVarint(to);
    };
  }
  void replayBatch(Time t, ByteReader& in) override {
    uint64_t from = in.readVarint();
    uint64_t to = in.readVarint();
    this->core().receiverTracker().replayWalAllocation(t, from, to);
  }
  void restoreCheckpoint(Time, ByteReader& in, const std::shared_ptr<const std::string>&) override {
    WalCheckpoint state;
    state.upto = Codec<uint64_t>::decode(in);
    state.positions = Codec<decltype(state.positions)>::decode(in);
    this->core().receiverTracker().restoreWal(state);
  }

 protected:
  std::optional<RddPtr<T>> compute(Time t) override {
    std::vector<std::shared_ptr<const Block<T>>> blocks;
    int64_t records = 0;
    for (auto& b : this->core().receiverTracker().blocksOf(t, this->id())) {
      blocks.push_back(std::static_pointer_cast<const Block<T>>(b.block));
      records += static_cast<int64_t>(b.records);
    }
    this->core().reportInput(t, this->id(), records);
    return std::make_shared<BlockRdd<T>>(this->core().runtime(), std::move(blocks),
                                         this->name() + " @ " + t.toString());
  }
};

template <class T>
class QueueInputNode final : public DStreamNode<T>, public InputNode {
 public:
  QueueInputNode(StreamingCore* core, std::shared_ptr<RddQueue<T>> queue, bool one_at_a_time,
                 std::optional<RDD<T>> default_rdd)
      : DStreamNode<T>(core, {}, "queueStream"),
        queue_(std::move(queue)),
        one_at_a_time_(one_at_a_time),
        default_rdd_(std::move(default_rdd)) {}
  DStreamNodeBase& node() override { return *this; }
  void checkCheckpointable() const override {
    throw UsageError(
        "queueStream does not support checkpointing: the RDDs of its queue cannot be recovered "
        "after a restart (as in Spark). Use generatorStream, textFileStream or a receiver, or "
        "do not call checkpoint()");
  }

 protected:
  std::optional<RddPtr<T>> compute(Time t) override {
    auto taken = queue_->take(one_at_a_time_);
    RddPtr<T> rdd;
    if (taken.size() == 1) {
      rdd = taken.front().node();
    } else if (!taken.empty()) {
      std::vector<RddPtr<T>> nodes;
      for (auto& r : taken) nodes.push_back(r.node());
      rdd = std::make_shared<UnionRdd<T>>(this->core().runtime(), std::move(nodes));
    } else if (default_rdd_) {
      rdd = default_rdd_->node();
    } else {
      rdd = std::make_shared<EmptyRdd<T>>(this->core().runtime());
    }
    (void)t;
    return rdd;
  }

 private:
  std::shared_ptr<RddQueue<T>> queue_;
  bool one_at_a_time_;
  std::optional<RDD<T>> default_rdd_;
};

/// Generates `f(i)` for a deterministic range of indices per batch: with `rate` records per
/// second, batch `t` holds indices `[rate * (t - interval - zero), rate * (t - zero))` (in
/// seconds), split over `partitions` and generated inside the tasks. Replayable.
template <class T, class F>
class GeneratedRdd final : public RddNode<T> {
 public:
  GeneratedRdd(std::shared_ptr<Runtime> rt, int64_t begin, int64_t end, size_t partitions,
               std::shared_ptr<const F> f)
      : RddNode<T>(std::move(rt), "generated"),
        begin_(begin),
        end_(end),
        partitions_(std::max<size_t>(partitions, 1)),
        f_(std::move(f)) {}
  size_t numPartitions() const override { return partitions_; }
  void prepare() override {}
  void compute(size_t p, ChunkSink<T>& out) override {
    int64_t n = end_ - begin_;
    int64_t lo = begin_ + n * static_cast<int64_t>(p) / static_cast<int64_t>(partitions_);
    int64_t hi = begin_ + n * static_cast<int64_t>(p + 1) / static_cast<int64_t>(partitions_);
    ChunkBuffer<T> buf(out);
    for (int64_t i = lo; i < hi; ++i) buf.add((*f_)(i));
    buf.flush();
  }

 private:
  int64_t begin_, end_;
  size_t partitions_;
  std::shared_ptr<const F> f_;
};

template <class T, class F>
class GeneratorInputNode final : public DStreamNode<T>, public InputNode {
 public:
  GeneratorInputNode(StreamingCore* core, int64_t records_per_second, size_t partitions, F f)
      : DStreamNode<T>(core, {}, "generatorStream"),
        rate_(records_per_second),
        partitions_(partitions),
        f_(std::make_shared<const F>(std::move(f))) {}
  DStreamNodeBase& node() override { return *this; }

 protected:
  std::optional<RddPtr<T>> compute(Time t) override {
    auto index_at = [&](Time x) {
      __extension__ using I128 = __int128;
      return static_cast<int64_t>(static_cast<I128>((x - this->zeroTime()).milliseconds()) * rate_ /
                                  1000);
    };
    int64_t begin = index_at(t - this->slideDuration()), end = index_at(t);
    this->core().reportInput(t, this->id(), end - begin);
    return std::make_shared<GeneratedRdd<T, F>>(this->core().runtime(), begin, end, partitions_,
                                                f_);
  }

 private:
  int64_t rate_;
  size_t partitions_;
  std::shared_ptr<const F> f_;
};

}  // namespace detail
}  // namespace ember
