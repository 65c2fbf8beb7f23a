#pragma once
/// The RocksDB state store (`ember.streaming.stateStore=rocksdb`): `mapWithState` keeps its
/// keys' states in an embedded RocksDB database on local disk instead of in memory, so the
/// state can be larger than memory. Keys and values arrive encoded (codec.hpp); RocksDB
/// stays out of the headers.
///
/// One database per stateful stream, keys prefixed by their partition. A batch's changes to
/// a partition are committed in one atomic write, then a RocksDB snapshot gives the
/// partition's state as of that batch to readers (state snapshots, checkpoints) while later
/// batches go on changing it. The database is a working copy: it is created empty (or from
/// a checkpoint on recovery) when the context starts and deleted when the stream is
/// destroyed; durability comes from checkpoints.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::detail {

class DiskStateStore {
 public:
  /// A consistent read view of one partition as of a batch.
  class View {
   public:
    virtual ~View() = default;
    /// Calls `fn(key, value)` for every entry of the partition.
    virtual void forEach(
        const std::function<void(std::string_view, std::string_view)>& fn) const = 0;
  };

  /// Opens a new, empty store in a fresh directory under `parent` (created if missing).
  /// Throws `IoError` naming the directory when RocksDB cannot open it.
  static std::shared_ptr<DiskStateStore> open(const std::string& parent, const std::string& name);
  virtual ~DiskStateStore() = default;

  virtual std::optional<std::string> get(size_t partition, std::string_view key) const = 0;
  /// Applies `changes` (a value, or nothing to delete the key) to `partition` atomically.
  virtual void commit(
      size_t partition,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& changes) = 0;
  /// The partition's current entries.
  virtual void forEach(size_t partition,
                       const std::function<void(std::string_view, std::string_view)>& fn) const = 0;
  /// A view of the partition as it is now (after the last commit).
  virtual std::shared_ptr<const View> snapshot(size_t partition) const = 0;
  /// Deletes every entry (before a restore).
  virtual void clear() = 0;
  virtual const std::string& directory() const = 0;
};

}  // namespace ember::detail
