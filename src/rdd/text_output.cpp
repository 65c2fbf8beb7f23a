#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ember/error.hpp>
#include <ember/internal/text_output.hpp>
#include <ember/logging.hpp>
#include <filesystem>

namespace ember::detail {
namespace fs = std::filesystem;

namespace {
std::atomic<uint64_t> g_temp_counter{0};

std::string errnoText() { return std::strerror(errno); }
}  // namespace

TextOutputCommit::TextOutputCommit(std::string final_path) : final_path_(std::move(final_path)) {
  fs::path target(final_path_);
  fs::path parent = target.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec)
    throw IoError("Cannot create output directory '" + parent.string() + "': " + ec.message());
  temp_path_ = (parent / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                          "-" + std::to_string(g_temp_counter++)))
                   .string();
  if (::mkdir(temp_path_.c_str(), 0755) != 0) {
    throw IoError("Cannot create temporary output directory '" + temp_path_ + "': " + errnoText());
  }
}

TextOutputCommit::~TextOutputCommit() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_path_, ec);
  }
}

std::string TextOutputCommit::partPath(size_t partition) const {
  char name[32];
  std::snprintf(name, sizeof(name), "/part-%05zu", partition);
  return temp_path_ + name;
}

void TextOutputCommit::commit() {
  PartFileWriter success(temp_path_ + "/_SUCCESS");
  success.close();
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    if (errno != ENOTEMPTY && errno != EEXIST) {
      throw IoError("Cannot move output into place at '" + final_path_ + "': " + errnoText());
    }
    // The batch was written before (a recomputed batch): swap the new directory in with
    // one atomic exchange, then drop the old one.
    if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, final_path_.c_str(), RENAME_EXCHANGE) !=
        0) {
      throw IoError("Cannot replace existing output '" + final_path_ + "': " + errnoText());
    }
    std::error_code ec;
    fs::remove_all(temp_path_, ec);
  }
  committed_ = true;
}

PartFileWriter::PartFileWriter(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError("Cannot create output file '" + path_ + "': " + errnoText());
  buffer_.reserve(1 << 16);
}

PartFileWriter::~PartFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void PartFileWriter::write(std::string_view bytes) {
  buffer_.append(bytes);
  if (buffer_.size() >= (1 << 16)) flushBuffer();
}

void PartFileWriter::flushBuffer() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("Cannot write output file '" + path_ + "': " + errnoText());
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

void PartFileWriter::close() {
  if (fd_ < 0) return;
  flushBuffer();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw IoError("Cannot close output file '" + path_ + "': " + errnoText());
}

}  // namespace ember::detail
