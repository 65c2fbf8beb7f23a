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

CheckpointWriter::CheckpointWriter(CheckpointStore store) : store_(std::move(store)) {
  thread_ = std::thread([this] { run(); });
}

CheckpointWriter::~CheckpointWriter() { stop(); }

void CheckpointWriter::submit(Task task) {
  std::optional<int64_t> replaced;
  int64_t time_ms = task.meta.time_ms;
  {
    MutexLock lock(mu_);
    if (stop_) return;
    if (waiting_) {
      ++stats_.superseded;
      replaced = waiting_->meta.time_ms;
    }
    waiting_ = std::move(task);
  }
  if (replaced) {
    logDebug(kLog, "Checkpoint for " + std::to_string(*replaced) +
                       " ms replaced by the newer one for " + std::to_string(time_ms) +
                       " ms before it was written");
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
    Task task;
    {
      MutexLock lock(mu_);
      cv_.wait(mu_, [&]() EMBER_REQUIRES(mu_) { return stop_ || waiting_; });
      if (!waiting_) return;  // stopping, nothing left
      task = std::move(*waiting_);
      waiting_.reset();
    }
    writeOne(task);
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
