#pragma once
/// Reading a whole open file descriptor into a string.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

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

}  // namespace ember::detail
