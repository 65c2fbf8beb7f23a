#pragma once
/// Checkpoints: what a streaming job writes so that a restarted process goes on where the
/// last one stopped (Spark's metadata and data checkpoints, written together).
///
/// A checkpoint for batch time `t` is one file `checkpoint-<t in ms>` holding the metadata
/// (zero time, batch interval, the DStream graph, input positions) and the data of every
/// stateful node as of `t`, written only once every batch up to `t` has completed, so the
/// two always agree. Files are written to a temporary name, fsynced and renamed; each
/// carries a format version, its length and a checksum; the newest `retained` are kept.
///
/// File layout (little-endian):
///   "EMBRCKPT"  fixed32 format version  fixed64 body length  fixed64 hashBytes(body)  body
/// where body = `encode(CheckpointContents)` (codec.hpp).

#include <deque>
#include <ember/codec.hpp>
#include <ember/internal/rdd_node.hpp>
#include <ember/internal/struct_macro.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/time.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ember::detail {

inline constexpr uint32_t kCheckpointFormatVersion = 1;
inline constexpr std::string_view kCheckpointMagic = "EMBRCKPT";
inline constexpr std::string_view kCheckpointPrefix = "checkpoint-";

struct CheckpointMeta {
  std::string app_name;
  int64_t batch_ms = 0;
  int64_t zero_ms = 0;  // the graph's zero time: batch boundaries, window edges, generators
  int64_t time_ms = 0;  // every batch up to this one had completed when it was written
  int64_t interval_ms = 0;
  int64_t written_at_ms = 0;       // wall clock, for the log
  std::vector<std::string> graph;  // one line per node the outputs depend on, in id order
  std::vector<std::pair<std::string, std::string>> conf;
};
EMBER_STRUCT(CheckpointMeta, app_name, batch_ms, zero_ms, time_ms, interval_ms, written_at_ms,
             graph, conf);

/// One node's part of a checkpoint, in the node's own encoding.
struct NodeCheckpoint {
  int32_t node_id = 0;
  std::string bytes;
};
EMBER_STRUCT(NodeCheckpoint, node_id, bytes);

struct CheckpointContents {
  CheckpointMeta meta;
  std::vector<NodeCheckpoint> nodes;
};
EMBER_STRUCT(CheckpointContents, meta, nodes);

/// One completed batch in the batch log (see `BatchLog`): what each input read in it.
struct BatchRecord {
  int64_t time_ms = 0;
  int64_t zero_ms = 0;                // the graph's zero time, to ignore a stray older log
  std::vector<NodeCheckpoint> nodes;  // node id, the node's `batchRecord` encoding
};
EMBER_STRUCT(BatchRecord, time_ms, zero_ms, nodes);

inline constexpr std::string_view kBatchLogPrefix = "batches-";

/// The metadata written after every completed batch (Spark writes its metadata checkpoint
/// after every batch): a record per batch, appended and synced to `batches-<base>` in the
/// checkpoint directory, where `base` is the newest checkpoint written when it was appended.
/// A restart restores the newest checkpoint and runs the batches the log shows completed
/// after it again, from the same input, only to rebuild state: their outputs already ran.
///
/// Record layout: fixed32 length, fixed64 hashBytes(body), body = `encode(BatchRecord)`.
/// Not thread-safe: the checkpoint thread owns it.
class BatchLog {
 public:
  explicit BatchLog(std::string directory);
  ~BatchLog();
  BatchLog(const BatchLog&) = delete;
  BatchLog& operator=(const BatchLog&) = delete;

  /// Appends `records` to `batches-<base_ms>` and syncs them, once. Throws `IoError` naming
  /// the file.
  void append(int64_t base_ms, const std::vector<BatchRecord>& records);
  /// Removes the logs of checkpoints older than `oldest_ms` (those no restart reads).
  void removeBefore(int64_t oldest_ms);
  /// Every intact record in `directory`'s logs, by batch time. A log is read up to its
  /// first torn or corrupt record, with a warning naming the file.
  static std::map<int64_t, BatchRecord> readAll(const std::string& directory);
  /// The records of one log's bytes, up to the first torn or corrupt one, into `out`.
  /// Returns where reading stopped (`bytes.size()`: at the end) and, if before the end,
  /// what was found there in `problem`.
  static size_t parse(std::string_view bytes, std::map<int64_t, BatchRecord>& out,
                      std::string& problem);

 private:
  std::string directory_;
  int fd_ = -1;
  int64_t base_ms_ = -1;  // of the open file
};

struct LoadedCheckpoint {
  std::string path;
  CheckpointContents contents;
};

/// The checkpoint files of one directory.
class CheckpointStore {
 public:
  CheckpointStore(std::string directory, size_t retained);
  const std::string& directory() const { return directory_; }

  /// Writes `contents` as `checkpoint-<meta.time_ms>` atomically (a temporary file, fsync,
  /// rename, fsync of the directory), then removes all but the newest `retained`
  /// checkpoints. Throws `IoError` naming the file and the reason (disk full, read-only
  /// directory); a failed write leaves the earlier checkpoints as they were.
  std::string write(const CheckpointContents& contents) const;

  /// The newest checkpoint that reads back intact. A corrupt or truncated newer one is
  /// skipped with a warning naming it. Nothing when the directory holds no checkpoint;
  /// `CheckpointError` naming every file and its problem when none can be read.
  std::optional<LoadedCheckpoint> readLatest() const;

  /// Checkpoint files, newest first: (batch time ms, path).
  std::vector<std::pair<int64_t, std::string>> list() const;

  static std::string serialize(const CheckpointContents& contents);
  /// Throws `DecodeError` describing what is wrong with `bytes`.
  static CheckpointContents parse(std::string_view bytes);

 private:
  std::string directory_;
  size_t retained_;
};

/// The checkpoint thread: encodes and writes checkpoints off the batch path. At most one
/// checkpoint waits: a newer one replaces a waiting one (the newest is the one that counts).
/// A failed write (disk full, read-only directory) is logged with the file and the reason;
/// the job goes on and the earlier checkpoints stay.
class CheckpointWriter {
 public:
  struct Task {
    CheckpointMeta meta;
    std::vector<std::pair<int, std::function<void(ByteWriter&)>>> parts;  // node id, encoder
    std::vector<std::function<void()>> after_write;  // run once the file is on disk
  };

  /// A completed batch for the batch log.
  struct Record {
    int64_t time_ms = 0;
    int64_t zero_ms = 0;
    std::vector<std::pair<int, std::function<void(ByteWriter&)>>> parts;  // node id, encoder
  };

  explicit CheckpointWriter(CheckpointStore store);
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  /// Queues a checkpoint; one still waiting (not its batches' records) is dropped.
  void submit(Task task);
  /// Queues a batch record; records and checkpoints are written in the order submitted.
  void submitRecord(Record record);
  /// The newest checkpoint already on disk (the one recovered from), for messages.
  void setLastWritten(int64_t time_ms);
  /// Writes what is waiting, then ends the thread.
  void stop();

  struct Stats {
    uint64_t written = 0;
    uint64_t failed = 0;
    uint64_t superseded = 0;       // replaced while waiting
    uint64_t records_written = 0;  // batch log
    uint64_t records_failed = 0;
    std::optional<int64_t> last_time_ms;  // batch time of the newest checkpoint written
    std::optional<std::string> last_error;
    int64_t last_write_ms = 0;  // encode + write of the newest checkpoint written
  };
  Stats stats() const;
  const CheckpointStore& store() const { return store_; }

 private:
  void run();
  struct Item {
    std::optional<Task> checkpoint;  // or else a record
    Record record;
  };
  void writeOne(Task& task);
  /// Appends records queued one after the other with one sync, so a checkpoint thread
  /// slower than millisecond batches falls behind by no more than one sync.
  void writeRecords(std::vector<Record>& records);

  CheckpointStore store_;
  BatchLog log_;  // the writer thread's
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Item> queue_ EMBER_GUARDED_BY(mu_);
  bool stop_ EMBER_GUARDED_BY(mu_) = false;
  Stats stats_ EMBER_GUARDED_BY(mu_);
  std::thread thread_;
};

// ---- node data ---------------------------------------------------------------------------

/// Encodes every element of every partition of `rdd` (computing partitions that are not
/// held in memory): varint count, then the elements.
template <class T>
void encodeRdd(const RddPtr<T>& rdd, ByteWriter& out) {
  std::vector<VectorSink<T>> parts;
  size_t total = 0;
  if (rdd) {
    for (size_t p = 0; p < rdd->numPartitions(); ++p) {
      VectorSink<T> sink;
      rdd->compute(p, sink);
      total += sink.data.size();
      parts.push_back(std::move(sink));
    }
  }
  out.writeVarint(total);
  for (const auto& part : parts) {
    for (const T& x : part.data) Codec<T>::encode(x, out);
  }
}

/// Reads what `encodeRdd` wrote for pairs into `n` partitions by key (the partitioning of
/// the shuffles, so a restored state lines up with new batches whatever the old partition
/// count). Views in the pairs point into `bytes`, which the returned RDD keeps alive.
template <class K, class V>
RddPtr<std::pair<K, V>> decodePairRdd(const std::shared_ptr<Runtime>& rt, ByteReader& in,
                                      const std::shared_ptr<const std::string>& bytes, size_t n,
                                      const std::string& name) {
  using KV = std::pair<K, V>;
  n = std::max<size_t>(n, 1);
  std::vector<std::shared_ptr<Block<KV>>> blocks(n);
  for (auto& b : blocks) {
    b = std::make_shared<Block<KV>>();
    b->owner = bytes;
  }
  uint64_t count = in.readVarint();
  for (uint64_t i = 0; i < count; ++i) {
    KV kv = Codec<KV>::decode(in);
    blocks[partitionOf(StableHash<K>{}(kv.first), n)]->records.push_back(std::move(kv));
  }
  std::vector<std::shared_ptr<const Block<KV>>> frozen(blocks.begin(), blocks.end());
  return std::make_shared<BlockRdd<KV>>(rt, std::move(frozen), name);
}

}  // namespace ember::detail
