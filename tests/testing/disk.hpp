#pragma once
/// Simulating a full disk in tests without root or a small file system.

#include <signal.h>
#include <sys/resource.h>

#include <cstdint>

namespace ember::testing {

/// While alive, writes past `max_bytes` in any file of this process fail with EFBIG ("File
/// too large"), as they would with ENOSPC on a full disk (SIGXFSZ is ignored meanwhile).
class ScopedFileSizeLimit {
 public:
  explicit ScopedFileSizeLimit(uint64_t max_bytes) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGXFSZ, &ignore, &previous_action_);
    ::getrlimit(RLIMIT_FSIZE, &previous_limit_);
    rlimit limited = previous_limit_;
    limited.rlim_cur = max_bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &limited) == 0;
  }
  ~ScopedFileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous_limit_);
    ::sigaction(SIGXFSZ, &previous_action_, nullptr);
  }
  ScopedFileSizeLimit(const ScopedFileSizeLimit&) = delete;
  ScopedFileSizeLimit& operator=(const ScopedFileSizeLimit&) = delete;
  bool ok() const { return ok_; }

 private:
  struct sigaction previous_action_ {};
  rlimit previous_limit_{};
  bool ok_ = false;
};

}  // namespace ember::testing
