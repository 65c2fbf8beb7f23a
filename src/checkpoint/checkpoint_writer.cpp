// The checkpoint thread.

#include <chrono>
#include <ember/error.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/logging.hpp>

#include "core/exception_text.hpp"

namespace ember::detail {
namespace {
constexpr const char* kLog = "CheckpointWriter";
}

CheckpointWriter::CheckpointWriter(CheckpointStore store)
    : store_(std::move(store)), log_(store_.directory()) {
  thread_ = std::thread([this] { run(); });
}

CheckpointWriter::~CheckpointWriter() { stop(); }

void CheckpointWriter::submit(Task task) {
  {
    MutexLock lock(mu_);
    if (stop_) return;
    // The newest checkpoint is the one that counts: an older one still waiting goes (counted
    // in the stats; no log line, the caller may hold a lock).
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (!it->checkpoint) continue;
      ++stats_.superseded;
      queue_.erase(it);
      break;
    }
    queue_.push_back(Item{std::move(task), {}});
  }
  cv_.notify_all();
}

void CheckpointWriter::submitRecord(Record record) {
  {
    MutexLock lock(mu_);
    if (stop_) return;
    queue_.push_back(Item{std::nullopt, std::move(record)});
  }
  cv_.notify_all();
}

void CheckpointWriter::setLastWritten(int64_t time_ms) {
  MutexLock lock(mu_);
  stats_.last_time_ms = time_ms;
}

void CheckpointWriter::stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CheckpointWriter::Stats CheckpointWriter::stats() const {
  MutexLock lock(mu_);
  return stats_;
}

void CheckpointWriter::run() {
  for (;;) {
    std::optional<Task> checkpoint;
    std::vector<Record> records;
    {
      MutexLock lock(mu_);
      cv_.wait(mu_, [&]() EMBER_REQUIRES(mu_) { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      if (queue_.front().checkpoint) {
        checkpoint = std::move(queue_.front().checkpoint);
        queue_.pop_front();
      } else {
        // Every record up to the next checkpoint, in order, for one append and one sync.
        while (!queue_.empty() && !queue_.front().checkpoint) {
          records.push_back(std::move(queue_.front().record));
          queue_.pop_front();
        }
      }
    }
    if (checkpoint) {
      writeOne(*checkpoint);
    } else {
      writeRecords(records);
    }
  }
}

void CheckpointWriter::writeRecords(std::vector<Record>& records) {
  std::vector<BatchRecord> out;
  std::optional<int64_t> base;
  try {
    for (Record& record : records) {
      BatchRecord r;
      r.time_ms = record.time_ms;
      r.zero_ms = record.zero_ms;
      for (auto& [id, encode] : record.parts) {
        ByteWriter bytes;
        encode(bytes);
        r.nodes.push_back(NodeCheckpoint{id, bytes.take()});
      }
      out.push_back(std::move(r));
    }
    {
      MutexLock lock(mu_);
      base = stats_.last_time_ms;
    }
    log_.append(base.value_or(0), out);
    MutexLock lock(mu_);
    stats_.records_written += records.size();
  } catch (...) {
    std::string error = describeException(std::current_exception());
    uint64_t failed;
    {
      MutexLock lock(mu_);
      uint64_t before = stats_.records_failed;
      stats_.records_failed += records.size();
      failed = stats_.records_failed;
      stats_.last_error = error;
      // One warning for the first failure and then one per 100 failed records.
      if (before != 0 && before / 100 == failed / 100) failed = 0;
    }
    // Only costs duplicates: a restart runs the outputs of these batches again.
    if (failed != 0) {
      logWarn(kLog, "Batches " + std::to_string(records.front().time_ms) + " to " +
                        std::to_string(records.back().time_ms) +
                        " ms not recorded in the batch log (" + std::to_string(failed) +
                        " records so far): " + error +
                        ". A restart runs the batches after the newest checkpoint again");
    }
  }
}

void CheckpointWriter::writeOne(Task& task) {
  auto start = std::chrono::steady_clock::now();
  std::string time = std::to_string(task.meta.time_ms) + " ms";
  try {
    CheckpointContents contents;
    contents.meta = std::move(task.meta);
    for (auto& [id, encode] : task.parts) {
      ByteWriter out;
      encode(out);
      contents.nodes.push_back(NodeCheckpoint{id, out.take()});
    }
    task.parts.clear();  // release the batches' data before the (slow) write
    std::string path = store_.write(contents);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    logDebug(kLog, "Wrote checkpoint " + path + " in " + std::to_string(ms) + " ms");
    for (auto& done : task.after_write) {
      try {
        done();
      } catch (const std::exception& e) {
        logWarn(kLog, "After writing " + path + ": " + e.what());
      }
    }
    if (auto files = store_.list(); !files.empty()) log_.removeBefore(files.back().first);
    MutexLock lock(mu_);
    ++stats_.written;
    stats_.last_time_ms = contents.meta.time_ms;
    stats_.last_write_ms = ms;
    stats_.last_error.reset();
  } catch (...) {
    std::string error = describeException(std::current_exception());
    std::optional<int64_t> last;
    {
      MutexLock lock(mu_);
      ++stats_.failed;
      stats_.last_error = error;
      last = stats_.last_time_ms;
    }
    logError(kLog, "Checkpoint for batch " + time + " not written: " + error +
                       ". The job goes on; " +
                       (last ? "the checkpoint of batch " + std::to_string(*last) +
                                   " ms stays the one a restart recovers from"
                             : "no checkpoint has been written yet") +
                       "; the next one is tried at the next checkpoint time");
  }
}

}  // namespace ember::detail
