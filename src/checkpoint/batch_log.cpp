// The batch log: a record per completed batch, between checkpoints.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ember/error.hpp>
#include <ember/hash.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/logging.hpp>

#include "core/file_io.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "Checkpoint";
constexpr size_t kRecordHeader = 4 + 8;

void readLog(const std::string& path, std::map<int64_t, BatchRecord>& out) {
  std::string bytes, error;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || !readAllFromFd(fd, bytes, error)) {
    if (fd >= 0) ::close(fd);
    logWarn(kLog, "Cannot read batch log '" + path +
                      "': " + (error.empty() ? std::strerror(errno) : error) +
                      "; the batches it records run again after the restart");
    return;
  }
  ::close(fd);
  size_t pos = 0;
  std::string problem;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < kRecordHeader) {
      problem = "an incomplete record (a write interrupted by a crash)";
      break;
    }
    ByteReader header(std::string_view(bytes).substr(pos, kRecordHeader));
    uint64_t length = header.readFixed32();
    uint64_t hash = header.readFixed64();
    if (bytes.size() - pos - kRecordHeader < length) {
      problem = "an incomplete record (a write interrupted by a crash)";
      break;
    }
    std::string_view body(bytes.data() + pos + kRecordHeader, length);
    if (hashBytes(body.data(), body.size()) != hash) {
      problem = "a corrupt record (checksum mismatch)";
      break;
    }
    try {
      BatchRecord record = decode<BatchRecord>(body);
      out.insert_or_assign(record.time_ms, std::move(record));
    } catch (const DecodeError& e) {
      problem = std::string("a record that cannot be decoded (") + e.what() + ")";
      break;
    }
    pos += kRecordHeader + length;
  }
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
    if (int dfd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  std::string bytes;
  for (const BatchRecord& record : records) {
    std::string body = encode(record);
    ByteWriter framed;
    framed.writeFixed32(static_cast<uint32_t>(body.size()));
    framed.writeFixed64(hashBytes(body.data(), body.size()));
    bytes += framed.take() + body;
  }
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

std::map<int64_t, BatchRecord> BatchLog::readAll(const std::string& directory) {
  std::map<int64_t, BatchRecord> out;
  for (const auto& [base, path] : numberedFiles(directory, kBatchLogPrefix)) readLog(path, out);
  return out;
}

}  // namespace ember::detail
