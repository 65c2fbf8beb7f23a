// The batch log: a record per completed batch, between checkpoints.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ember/error.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/logging.hpp>

#include "checkpoint/record_file.hpp"
#include "core/file_io.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "Checkpoint";

void readLog(const std::string& path, std::map<int64_t, BatchRecord>& out) {
  std::string bytes, error;
  if (!readFile(path, bytes, error)) {
    logWarn(kLog, "Cannot read batch log '" + path + "': " + error +
                      "; the batches it records run again after the restart");
    return;
  }
  std::string problem;
  size_t pos = BatchLog::parse(bytes, out, problem);
  if (pos < bytes.size()) {
    logWarn(kLog, "Batch log '" + path + "': " + problem + " at byte " + std::to_string(pos) +
                      "; the " + std::to_string(bytes.size() - pos) +
                      " bytes from there are ignored and the batches they record run again");
  }
}

}  // namespace

BatchLog::BatchLog(std::string directory) : directory_(std::move(directory)) {}

BatchLog::~BatchLog() {
  if (fd_ >= 0) ::close(fd_);
}

void BatchLog::append(int64_t base_ms, const std::vector<BatchRecord>& records) {
  std::string path = directory_ + "/" + std::string(kBatchLogPrefix) + std::to_string(base_ms);
  if (fd_ < 0 || base_ms != base_ms_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    makeDirectories(directory_, "checkpoint directory");
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw IoError("Cannot open batch log '" + path + "': " + std::strerror(errno));
    }
    base_ms_ = base_ms;
    // The new file's name must survive a crash too.
    std::string ignored;  // best effort, as before: the records themselves are synced
    syncDirectory(directory_, ignored);
  }
  std::string bytes;
  for (const BatchRecord& record : records) appendRecord(bytes, encode(record));
  off_t before = ::lseek(fd_, 0, SEEK_END);
  try {
    writeAllToFd(fd_, bytes.data(), bytes.size(), path);
    if (::fdatasync(fd_) != 0) {
      throw IoError("Cannot sync batch log '" + path + "': " + std::strerror(errno));
    }
  } catch (...) {
    // Cut the partial record off, so later records stay readable; if that fails too, the
    // next append starts a fresh file.
    if (before < 0 || ::ftruncate(fd_, before) != 0) {
      ::close(fd_);
      fd_ = -1;
      base_ms_ = -1;
    }
    throw;
  }
}

void BatchLog::removeBefore(int64_t oldest_ms) {
  for (const auto& [base, path] : numberedFiles(directory_, kBatchLogPrefix)) {
    if (static_cast<int64_t>(base) >= oldest_ms) break;
    if (static_cast<int64_t>(base) == base_ms_ && fd_ >= 0) continue;  // still appended to
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      logWarn(kLog, "Cannot remove old batch log '" + path + "': " + std::strerror(errno));
    }
  }
}

size_t BatchLog::parse(std::string_view bytes, std::map<int64_t, BatchRecord>& out,
                       std::string& problem) {
  size_t end = readRecords(bytes, [&](const FramedRecord& record) {
    if (!record.intact) {
      problem = "a corrupt record (checksum mismatch)";
      return false;
    }
    try {
      BatchRecord batch = decode<BatchRecord>(record.body);
      out.insert_or_assign(batch.time_ms, std::move(batch));
      return true;
    } catch (const DecodeError& e) {
      problem = std::string("a record that cannot be decoded (") + e.what() + ")";
      return false;
    }
  });
  if (end < bytes.size() && problem.empty()) {
    problem = "an incomplete record (a write interrupted by a crash)";
  }
  return end;
}

std::map<int64_t, BatchRecord> BatchLog::readAll(const std::string& directory) {
  std::map<int64_t, BatchRecord> out;
  for (const auto& [base, path] : numberedFiles(directory, kBatchLogPrefix)) readLog(path, out);
  return out;
}

}  // namespace ember::detail
