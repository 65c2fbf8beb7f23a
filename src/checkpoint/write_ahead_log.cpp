// The receivers' write-ahead log: append + fdatasync, replay, and clean-up of segments that
// a checkpoint covers.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ember/codec.hpp>
#include <ember/error.hpp>
#include <ember/internal/write_ahead_log.hpp>
#include <ember/logging.hpp>

#include "checkpoint/record_file.hpp"
#include "core/file_io.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "WriteAheadLog";
constexpr std::string_view kSegmentPrefix = "log-";

Mutex g_hook_mu;
std::function<void()> g_before_sync EMBER_GUARDED_BY(g_hook_mu);

void beforeSync() {
  std::function<void()> hook;
  {
    MutexLock lock(g_hook_mu);
    hook = g_before_sync;
  }
  if (hook) hook();
}

/// Reads one segment (see `parseSegment`), warning about what cannot be read.
WriteAheadLog::SegmentContents readSegment(const std::string& path) {
  std::string bytes, error;
  if (!readFile(path, bytes, error)) {
    throw IoError("Cannot read write-ahead log segment '" + path + "': " + error);
  }
  WriteAheadLog::SegmentContents read = WriteAheadLog::parseSegment(bytes);
  size_t pos = read.end;
  if (read.corrupt > 0) {
    logWarn(kLog, "Write-ahead log segment '" + path + "' holds " + std::to_string(read.corrupt) +
                      " corrupt record(s) (" + std::to_string(read.corrupt_bytes) +
                      " bytes failing their checksum): their blocks are lost and skipped; the "
                      "other records are read. A copy of the file is kept as '" +
                      path + ".corrupt' for inspection");
    std::string copy = path + ".corrupt";
    if (::link(path.c_str(), copy.c_str()) != 0 && errno != EEXIST) {
      logWarn(kLog, "Cannot keep '" + copy + "': " + std::strerror(errno));
    }
  }
  if (pos < bytes.size()) {
    // Only the last record can be cut short: it was being written when the process died,
    // so it was never synced and never acknowledged.
    logWarn(kLog, "Ignoring " + std::to_string(bytes.size() - pos) +
                      " bytes of an incomplete record at the end of '" + path +
                      "' (a write interrupted by a crash; that block was never acknowledged)");
  }
  return read;
}

}  // namespace

WriteAheadLog::SegmentContents WriteAheadLog::parseSegment(std::string_view bytes) {
  SegmentContents read;
  read.end = readRecords(bytes, [&](const FramedRecord& record) {
    LoggedBlock b;
    bool intact = record.intact;
    if (intact) {
      try {
        ByteReader in(record.body);
        b.stream_id = static_cast<int>(in.readVarint());
        b.seq = in.readVarint();
        b.position = std::string(in.readString());
        b.data = std::string(in.readString());
        intact = in.atEnd() && b.seq != 0;
      } catch (const DecodeError&) {
        intact = false;
      }
    }
    if (!intact) {
      ++read.corrupt;
      read.corrupt_bytes += kRecordHeaderBytes + record.body.size();
      return true;
    }
    read.last = std::max(read.last, b.seq);
    read.blocks.push_back(std::move(b));
    return true;
  });
  return read;
}

WriteAheadLog::WriteAheadLog(std::string directory, uint64_t max_segment_bytes)
    : directory_(std::move(directory)), max_segment_bytes_(max_segment_bytes) {
  makeDirectories(directory_, "write-ahead log directory");
  for (const auto& [first, path] : numberedFiles(directory_, kSegmentPrefix)) {
    SegmentContents read = readSegment(path);
    corrupt_records_ += read.corrupt;
    for (LoggedBlock& b : read.blocks) recovered_.push_back(std::move(b));
    if (read.last == 0) {
      // Nothing readable: its first write was cut short (or every record is corrupt, and
      // a copy was kept).
      ::unlink(path.c_str());
      continue;
    }
    closed_.push_back(Segment{path, first, read.last});
    next_seq_ = std::max(next_seq_, read.last + 1);
  }
  std::sort(recovered_.begin(), recovered_.end(),
            [](const LoggedBlock& a, const LoggedBlock& b) { return a.seq < b.seq; });
}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ >= 0) ::close(fd_);
}

void WriteAheadLog::openSegment() {
  std::string path = directory_ + "/" + std::string(kSegmentPrefix) + std::to_string(next_seq_);
  // O_TRUNC: a file of this name can only hold bytes of a record that never completed.
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw IoError("Cannot create write-ahead log segment '" + path + "': " + std::strerror(errno));
  }
  // The new file's name must survive a crash too.
  std::string ignored;  // best effort, as before: the records themselves are synced
  syncDirectory(directory_, ignored);
  current_ = Segment{path, next_seq_, 0};
  current_bytes_ = 0;
}

uint64_t WriteAheadLog::append(int stream_id, const std::string& position,
                               const std::string& data) {
  MutexLock lock(mu_);
  if (!current_ || current_bytes_ >= max_segment_bytes_) {
    if (current_) {
      ::close(fd_);
      fd_ = -1;
      closed_.push_back(*current_);
      current_.reset();
    }
    openSegment();
  }
  uint64_t seq = next_seq_;
  ByteWriter payload;
  payload.writeVarint(static_cast<uint64_t>(stream_id));
  payload.writeVarint(seq);
  payload.writeString(position);
  payload.writeString(data);
  std::string body = payload.take();
  std::string bytes;
  appendRecord(bytes, body);
  try {
    writeAllToFd(fd_, bytes.data(), bytes.size(), current_->path);
    beforeSync();
    if (::fdatasync(fd_) != 0) {
      throw IoError("Cannot sync write-ahead log segment '" + current_->path +
                    "': " + std::strerror(errno));
    }
  } catch (...) {
    // The block does not count as stored: cut its bytes off (a replay must not see it)
    // and go on in a new segment.
    bool cut = ::ftruncate(fd_, static_cast<off_t>(current_bytes_)) == 0;
    ::close(fd_);
    fd_ = -1;
    if (current_->last == 0) {
      ::unlink(current_->path.c_str());
    } else {
      closed_.push_back(*current_);
    }
    std::string path = current_->path;
    current_.reset();
    lock.unlock();
    if (!cut) {
      logWarn(kLog, "Cannot cut a failed record off '" + path +
                        "'; it ends the readable part of the segment");
    }
    throw;
  }
  current_bytes_ += bytes.size();
  current_->last = seq;
  ++next_seq_;
  return seq;
}

void WriteAheadLog::continueAfter(uint64_t seq) {
  MutexLock lock(mu_);
  next_seq_ = std::max(next_seq_, seq + 1);
}

void WriteAheadLog::deleteUpTo(uint64_t seq) {
  std::vector<std::string> failures;
  MutexLock lock(mu_);
  if (current_ && current_->last != 0 && current_->last <= seq) {
    ::close(fd_);
    fd_ = -1;
    closed_.push_back(*current_);
    current_.reset();
  }
  std::erase_if(closed_, [&](const Segment& s) {
    if (s.last > seq) return false;
    if (::unlink(s.path.c_str()) != 0 && errno != ENOENT) {
      failures.push_back("Cannot delete write-ahead log segment '" + s.path +
                         "': " + std::strerror(errno));
      return false;
    }
    return true;
  });
  lock.unlock();
  for (const auto& failure : failures) logWarn(kLog, failure);
}

void WriteAheadLog::setBeforeSyncForTesting(std::function<void()> hook) {
  MutexLock lock(g_hook_mu);
  g_before_sync = std::move(hook);
}

std::vector<std::string> WriteAheadLog::segments() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& s : closed_) out.push_back(s.path);
  if (current_) out.push_back(current_->path);
  return out;
}

}  // namespace ember::detail
