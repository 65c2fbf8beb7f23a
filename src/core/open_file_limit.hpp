#pragma once
/// The process's open-file limit. The common soft limit of 1024 is far below what sources,
/// sinks, the write-ahead log and the web UI's clients may hold at once, while the hard
/// limit is usually much higher: a job takes it at start, as servers do.

#include <sys/resource.h>

#include <cstdint>

namespace ember::detail {

/// Raises the soft RLIMIT_NOFILE to the hard one; returns the soft limit in force after.
inline uint64_t raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  // Linux refuses more than fs.nr_open (1048576 by default) even when the hard limit is
  // unlimited.
  const rlim_t wanted = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > (rlim_t{1} << 20)
                            ? rlim_t{1} << 20
                            : limit.rlim_max;
  if (limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace ember::detail
