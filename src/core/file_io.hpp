#pragma once
/// Small POSIX file helpers shared by the file stream, checkpoints and the write-ahead log.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ember/error.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::detail {

/// Appends everything `fd` holds to `out` (sized from fstat first); on a read error, sets
/// `error` and returns false. Does not close `fd`.
inline bool readAllFromFd(int fd, std::string& out, std::string& error) {
  struct stat st;
  if (::fstat(fd, &st) == 0) out.reserve(out.size() + static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      return false;
    }
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

/// Reads the file at `path` into `out`; on failure, sets `error` and returns false.
inline bool readFile(const std::string& path, std::string& out, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  bool ok = readAllFromFd(fd, out, error);
  ::close(fd);
  return ok;
}

/// Syncs directory `dir`, so the names created or renamed in it survive a crash; on
/// failure, sets `error` and returns false.
inline bool syncDirectory(const std::string& dir, std::string& error) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    error = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

/// The number after `prefix` in a file name such as "checkpoint-1000" (decimal digits only,
/// at most 18 of them); nothing for any other name.
inline std::optional<uint64_t> numberAfterPrefix(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return std::nullopt;
  std::string_view digits = name.substr(prefix.size());
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

/// The files of `dir` named `prefix` + a number (see `numberAfterPrefix`), as (number, path),
/// in increasing order of the number; empty when `dir` cannot be listed.
inline std::vector<std::pair<uint64_t, std::string>> numberedFiles(const std::string& dir,
                                                                   std::string_view prefix) {
  std::vector<std::pair<uint64_t, std::string>> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    if (auto n = numberAfterPrefix(e->d_name, prefix)) out.emplace_back(*n, dir + "/" + e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

/// Creates `dir` and its missing parents; throws `IoError` naming the part that fails
/// (`what` says what the directory is for).
inline void makeDirectories(const std::string& dir, const std::string& what) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      throw IoError("Cannot create " + what + " '" + prefix + "': " + std::strerror(errno));
    }
  }
}

/// Writes all of `data` to `fd`; throws `IoError` naming `path`.
inline void writeAllToFd(int fd, const char* data, size_t len, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("Cannot write '" + path + "': " + std::strerror(errno));
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
}

}  // namespace ember::detail
