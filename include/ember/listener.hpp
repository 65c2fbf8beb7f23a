#pragma once
/// Streaming listeners, as in Spark (`StreamingListener`): callbacks about batches, output
/// operations and receivers, with Spark's `BatchInfo`, `OutputOperationInfo` and
/// `ReceiverInfo` fields.
///
///   class Delays : public ember::StreamingListener {
///     void onBatchCompleted(const ember::BatchInfo& b) override {
///       std::cout << b.batchTime.toString() << " took " << *b.processingDelay() << " ms\n";
///     }
///   };
///   ssc.addStreamingListener(std::make_shared<Delays>());
///
/// Listeners run on one listener thread of their own, off the batch path: a slow listener
/// never delays batches. Events wait in a bounded queue; when it is full, new events are
/// dropped, counted (`StreamingContext::droppedListenerEvents()`) and logged. An exception
/// thrown by a listener is logged and the listener goes on receiving events.

#include <cstdint>
#include <ember/time.hpp>
#include <map>
#include <optional>
#include <string>

namespace ember {

/// Input of one stream in one batch.
struct StreamInputInfo {
  int inputStreamId = 0;
  int64_t numRecords = 0;
  std::map<std::string, std::string> metadata;
};

/// One output operation of one batch. Times are wall-clock milliseconds since the epoch.
struct OutputOperationInfo {
  Time batchTime;
  int id = 0;
  std::string name;         // e.g. "print"
  std::string description;  // e.g. "print at word_count.cpp:42"
  std::optional<int64_t> startTime;
  std::optional<int64_t> endTime;
  std::optional<std::string> failureReason;

  std::optional<int64_t> duration() const {
    if (!startTime || !endTime) return std::nullopt;
    return *endTime - *startTime;
  }
};

/// One batch. Times are wall-clock milliseconds since the epoch.
struct BatchInfo {
  Time batchTime;
  std::map<int, StreamInputInfo> streamIdToInputInfo;
  int64_t submissionTime = 0;
  std::optional<int64_t> processingStartTime;
  std::optional<int64_t> processingEndTime;
  std::map<int, OutputOperationInfo> outputOperationInfos;

  /// Time from submission until processing started (Spark's `schedulingDelay`).
  std::optional<int64_t> schedulingDelay() const {
    if (!processingStartTime) return std::nullopt;
    return *processingStartTime - submissionTime;
  }
  /// Time from processing start to end (Spark's `processingDelay`).
  std::optional<int64_t> processingDelay() const {
    if (!processingStartTime || !processingEndTime) return std::nullopt;
    return *processingEndTime - *processingStartTime;
  }
  /// Scheduling delay plus processing delay.
  std::optional<int64_t> totalDelay() const {
    auto s = schedulingDelay();
    auto p = processingDelay();
    if (!s || !p) return std::nullopt;
    return *s + *p;
  }
  /// Records of all input streams in the batch.
  int64_t numRecords() const {
    int64_t n = 0;
    for (const auto& [id, info] : streamIdToInputInfo) n += info.numRecords;
    return n;
  }
};

/// One receiver.
struct ReceiverInfo {
  int streamId = 0;
  std::string name;
  bool active = false;
  std::string location = "localhost";
  std::string executorId = "driver";
  std::string lastErrorMessage;
  std::string lastError;
  int64_t lastErrorTime = -1;
};

/// Override the callbacks you need; all default to doing nothing. Called on the listener
/// thread, one event at a time, in the order the events happened.
class StreamingListener {
 public:
  virtual ~StreamingListener() = default;
  /// `time`: wall-clock milliseconds when the context started.
  virtual void onStreamingStarted(int64_t /*time*/) {}
  virtual void onReceiverStarted(const ReceiverInfo& /*receiver*/) {}
  virtual void onReceiverError(const ReceiverInfo& /*receiver*/) {}
  virtual void onReceiverStopped(const ReceiverInfo& /*receiver*/) {}
  virtual void onBatchSubmitted(const BatchInfo& /*batch*/) {}
  virtual void onBatchStarted(const BatchInfo& /*batch*/) {}
  virtual void onBatchCompleted(const BatchInfo& /*batch*/) {}
  virtual void onOutputOperationStarted(const OutputOperationInfo& /*op*/) {}
  virtual void onOutputOperationCompleted(const OutputOperationInfo& /*op*/) {}
};

}  // namespace ember
