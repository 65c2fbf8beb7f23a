#include "scheduler/console_progress.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ember/internal/thread_annotations.hpp>
#include <ember/logging.hpp>

namespace ember::detail {
namespace {
Mutex g_console_mu;
bool g_status_shown EMBER_GUARDED_BY(g_console_mu) = false;

std::string withThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}
}  // namespace

std::string formatProgress(const BatchInfo& batch, Duration interval, bool color) {
  int64_t processing = batch.processingDelay().value_or(0);
  int64_t scheduling = batch.schedulingDelay().value_or(0);
  bool late = processing > interval.milliseconds();
  std::string line = "Batch " + batch.batchTime.toString() + ": " +
                     withThousands(batch.numRecords()) + " records, processed in " +
                     std::to_string(processing) + " ms, scheduling delay " +
                     std::to_string(scheduling) + " ms";
  if (late) line += " (slower than the " + interval.toString() + " batch interval)";
  if (color && late) return "\x1b[33m" + line + "\x1b[0m";
  return line;
}

void clearConsoleProgress() {
  MutexLock lock(g_console_mu);
  if (!g_status_shown) return;
  static const char kClear[] = "\r\x1b[K";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kClear, sizeof(kClear) - 1);
  g_status_shown = false;
}

bool stderrIsTerminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && term != nullptr && std::strcmp(term, "dumb") != 0;
}

void ConsoleProgress::onBatchCompleted(const BatchInfo& batch) {
  if (terminal_) {
    std::string line = "\r\x1b[K" + formatProgress(batch, interval_, true);
    MutexLock lock(g_console_mu);
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    g_status_shown = true;
    return;
  }
  if (last_logged_.milliseconds() >= 0 && batch.batchTime - last_logged_ < Seconds(10)) return;
  last_logged_ = batch.batchTime;
  logInfo("Progress", formatProgress(batch, interval_, false));
}

}  // namespace ember::detail
