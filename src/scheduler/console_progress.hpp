#pragma once
/// Batch progress on the console (`ember.ui.showConsoleProgress`): on a terminal, one
/// status line rewritten in place after each batch; otherwise a plain log line every
/// 10 seconds of batches, never escape codes.

#include <atomic>
#include <ember/listener.hpp>
#include <ember/time.hpp>
#include <string>

namespace ember::detail {

/// The status of one completed batch; `color` adds a warning colour when processing took
/// longer than `interval`.
std::string formatProgress(const BatchInfo& batch, Duration interval, bool color);

/// Clears the status line if one is shown, so other console output starts on a clean line.
void clearConsoleProgress();

class ConsoleProgress final : public StreamingListener {
 public:
  ConsoleProgress(Duration interval, bool terminal) : interval_(interval), terminal_(terminal) {}
  void onBatchCompleted(const BatchInfo& batch) override;

 private:
  Duration interval_;
  bool terminal_;
  Time last_logged_{-1};
};

/// True when stderr is a terminal that understands escape codes.
bool stderrIsTerminal();

}  // namespace ember::detail
