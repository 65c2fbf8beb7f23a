// DiskStateStore on RocksDB.

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ember/error.hpp>
#include <ember/internal/disk_state_store.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/logging.hpp>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include "core/file_io.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "StateStore";

std::string partitionPrefix(size_t partition) {
  std::string p(4, '\0');
  for (int i = 0; i < 4; ++i) p[3 - i] = static_cast<char>((partition >> (8 * i)) & 0xff);
  return p;
}

void check(const rocksdb::Status& s, const std::string& what, const std::string& dir) {
  if (!s.ok()) throw IoError("State store '" + dir + "': " + what + " failed: " + s.ToString());
}

void scan(rocksdb::DB& db, const rocksdb::ReadOptions& options, size_t partition,
          const std::function<void(std::string_view, std::string_view)>& fn) {
  std::string prefix = partitionPrefix(partition);
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(options));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    rocksdb::Slice k = it->key(), v = it->value();
    fn(std::string_view(k.data() + prefix.size(), k.size() - prefix.size()),
       std::string_view(v.data(), v.size()));
  }
}

class RocksStateStore final : public DiskStateStore,
                              public std::enable_shared_from_this<RocksStateStore> {
 public:
  explicit RocksStateStore(std::string dir) : dir_(std::move(dir)) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    options.write_buffer_size = 32 << 20;
    options.max_open_files = 256;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(64 << 20);  // bounded memory, the point of it
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* db = nullptr;
    check(rocksdb::DB::Open(options, dir_, &db), "opening the database", dir_);
    db_.reset(db);
    write_.disableWAL = true;  // a working copy: checkpoints make state durable
  }
  ~RocksStateStore() override {
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (ec) logWarn(kLog, "Cannot remove state store '" + dir_ + "': " + ec.message());
  }

  std::optional<std::string> get(size_t partition, std::string_view key) const override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), partitionPrefix(partition) + std::string(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    check(s, "reading a key", dir_);
    return value;
  }

  void commit(
      size_t partition,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& changes) override {
    rocksdb::WriteBatch batch;
    std::string prefix = partitionPrefix(partition);
    for (const auto& [key, value] : changes) {
      if (value) {
        check(batch.Put(prefix + key, *value), "a write", dir_);
      } else {
        check(batch.Delete(prefix + key), "a delete", dir_);
      }
    }
    check(db_->Write(write_, &batch), "writing a batch's changes", dir_);
  }

  void forEach(size_t partition,
               const std::function<void(std::string_view, std::string_view)>& fn) const override {
    scan(*db_, rocksdb::ReadOptions(), partition, fn);
  }

  std::shared_ptr<const View> snapshot(size_t partition) const override {
    auto self = std::const_pointer_cast<RocksStateStore>(shared_from_this());
    return std::make_shared<SnapshotView>(std::move(self), partition);
  }

  void clear() override {
    check(db_->DeleteRange(write_, db_->DefaultColumnFamily(), std::string(4, '\0'),
                           std::string(5, '\xff')),
          "clearing", dir_);
  }

  const std::string& directory() const override { return dir_; }

 private:
  class SnapshotView final : public View {
   public:
    SnapshotView(std::shared_ptr<RocksStateStore> store, size_t partition)
        : store_(std::move(store)), partition_(partition), snapshot_(store_->db_->GetSnapshot()) {}
    ~SnapshotView() override { store_->db_->ReleaseSnapshot(snapshot_); }
    void forEach(const std::function<void(std::string_view, std::string_view)>& fn) const override {
      rocksdb::ReadOptions options;
      options.snapshot = snapshot_;
      scan(*store_->db_, options, partition_, fn);
    }

   private:
    std::shared_ptr<RocksStateStore> store_;
    size_t partition_;
    const rocksdb::Snapshot* snapshot_;
  };

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_;
};

std::atomic<uint64_t> g_store_counter{0};

/// The process a store directory `<name>-<pid>-<n>` belongs to, if its name says.
std::optional<pid_t> ownerOf(const std::string& dir_name) {
  size_t last = dir_name.rfind('-');
  if (last == std::string::npos || last == 0) return std::nullopt;
  size_t before = dir_name.rfind('-', last - 1);
  if (before == std::string::npos) return std::nullopt;
  std::string_view pid = std::string_view(dir_name).substr(before + 1, last - before - 1);
  std::string_view counter = std::string_view(dir_name).substr(last + 1);
  auto digits = [](std::string_view text) {
    return !text.empty() && text.size() <= 9 &&
           text.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!digits(pid) || !digits(counter)) return std::nullopt;
  return static_cast<pid_t>(std::stol(std::string(pid)));
}

/// Removes the working copies that processes killed before they could (kill -9, a crash)
/// left in `parent`: RocksDB directories whose owner is no longer running. Once per parent
/// and process.
Mutex g_cleaned_mu;
std::set<std::string> g_cleaned EMBER_GUARDED_BY(g_cleaned_mu);  // parents already cleaned

void removeStaleStores(const std::string& parent) {
  {
    MutexLock lock(g_cleaned_mu);
    if (!g_cleaned.insert(parent).second) return;
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    std::string dir_name = entry.path().filename().string();
    std::optional<pid_t> owner = ownerOf(dir_name);
    if (!owner || *owner == ::getpid() || !entry.is_directory(ec)) continue;
    if (!std::filesystem::exists(entry.path() / "CURRENT", ec)) continue;  // not RocksDB's
    if (::kill(*owner, 0) == 0 || errno != ESRCH) continue;  // running (or not ours to ask)
    std::error_code removed;
    std::filesystem::remove_all(entry.path(), removed);
    if (removed) {
      logWarn(kLog, "Cannot remove the state store '" + entry.path().string() +
                        "' left by process " + std::to_string(*owner) + ": " + removed.message());
    } else {
      logInfo(kLog, "Removed the state store '" + entry.path().string() + "' left by process " +
                        std::to_string(*owner) + ", which ended");
    }
  }
}

}  // namespace

std::shared_ptr<DiskStateStore> DiskStateStore::open(const std::string& parent,
                                                     const std::string& name) {
  makeDirectories(parent, "state store directory");
  removeStaleStores(parent);
  std::string dir = parent + "/" + name + "-" + std::to_string(::getpid()) + "-" +
                    std::to_string(g_store_counter.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // a leftover of a process that died
  return std::make_shared<RocksStateStore>(dir);
}

}  // namespace ember::detail
