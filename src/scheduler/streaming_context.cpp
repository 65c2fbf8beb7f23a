#include <cstdio>
#include <ember/internal/file_input.hpp>
#include <ember/internal/thread_annotations.hpp>
#include <ember/streaming_context.hpp>
#include <mutex>

#include "scheduler/console_progress.hpp"

namespace ember {

namespace detail {
void printBatch(Time t, const std::vector<std::string>& rendered, size_t num) {
  static Mutex mu;  // one batch's lines at a time on stdout (it guards no variable)
  std::string out;
  out += "-------------------------------------------\n";
  out += "Time: " + t.toString() + "\n";
  out += "-------------------------------------------\n";
  for (size_t i = 0; i < rendered.size() && i < num; ++i) {
    out += rendered[i];
    out += '\n';
  }
  if (rendered.size() > num) out += "...\n";
  out += '\n';
  MutexLock lock(mu);
  clearConsoleProgress();  // the batch starts on a clean line, not after the status line
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}
}  // namespace detail

StreamingContext::StreamingContext(const Conf& conf, Duration batchInterval)
    : core_(std::make_unique<detail::StreamingCore>(conf, batchInterval)) {}

StreamingContext::~StreamingContext() = default;

DStream<std::string> StreamingContext::socketTextStream(const std::string& host, int port) {
  auto max_line =
      static_cast<size_t>(core_->conf().getSizeBytes("ember.streaming.socket.maxLineLength"));
  return receiverStream(std::make_shared<detail::LineSocketReceiver>(host, port, max_line));
}

DStream<std::string> StreamingContext::textFileStream(const std::string& directory) {
  auto node = std::make_shared<detail::FileInputNode>(core_.get(), directory);
  core_->addInput(node);
  return DStream<std::string>(node);
}

DStream<std::string> StreamingContext::fileStream(
    const std::string& directory, std::function<bool(const std::string& path)> filter,
    bool newFilesOnly) {
  detail::FileInputNode::Options options;
  options.filter = std::move(filter);
  options.newFilesOnly = newFilesOnly;
  auto node = std::make_shared<detail::FileInputNode>(core_.get(), directory,
                                                      "fileStream " + directory, options);
  core_->addInput(node);
  return DStream<std::string>(node);
}

DStream<std::string> StreamingContext::binaryRecordsStream(const std::string& directory,
                                                           int recordLength) {
  if (recordLength < 1) {
    throw UsageError("binaryRecordsStream: recordLength must be >= 1, got " +
                     std::to_string(recordLength));
  }
  detail::FileInputNode::Options options;
  options.recordLength = static_cast<size_t>(recordLength);
  auto node = std::make_shared<detail::FileInputNode>(core_.get(), directory,
                                                      "binaryRecordsStream " + directory, options);
  core_->addInput(node);
  return DStream<std::string>(node);
}

std::unique_ptr<StreamingContext> StreamingContext::getOrCreate(
    const std::string& checkpointPath,
    const std::function<std::unique_ptr<StreamingContext>()>& creatingFunc) {
  auto ssc = creatingFunc();
  if (!ssc) throw UsageError("getOrCreate: the creating function returned no context");
  if (!ssc->core_->checkpointDir()) ssc->checkpoint(checkpointPath);
  ssc->core_->recover(checkpointPath);
  return ssc;
}

StreamingContextState StreamingContext::getState() const {
  switch (core_->state()) {
    case detail::ContextState::kInitialized:
      return StreamingContextState::kInitialized;
    case detail::ContextState::kActive:
      return StreamingContextState::kActive;
    case detail::ContextState::kStopped:
      break;
  }
  return StreamingContextState::kStopped;
}

}  // namespace ember
