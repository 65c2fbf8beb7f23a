#pragma once
/// Exceptions thrown by Ember's public API. Every message names the thing at fault (the
/// key, the path, the host:port, the batch) and, where it helps, what to do about it.

#include <ember/time.hpp>
#include <stdexcept>
#include <string>

namespace ember {

/// Base of every error Ember throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A configuration key has a value that cannot be used.
class ConfError : public Error {
 public:
  using Error::Error;
};

/// The program was written or called in a way the engine cannot run (a wrong window
/// length, an operation after `start()`, a missing argument).
class UsageError : public Error {
 public:
  using Error::Error;
};

/// A file, socket or directory operation failed.
class IoError : public Error {
 public:
  using Error::Error;
};

/// Stored bytes could not be decoded (a corrupt or foreign checkpoint, a bad frame).
class DecodeError : public Error {
 public:
  using Error::Error;
};

/// No checkpoint in a directory can be used: every file is corrupt or truncated, or the
/// checkpoint was written by a program with a different DStream graph or batch interval.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

/// A task failed `ember.task.maxFailures` times; `what()` names the stage, the partition
/// and the last error of the user's function.
class TaskFailedError : public Error {
 public:
  using Error::Error;
};

/// A batch could not be processed. Rethrown by `StreamingContext::awaitTermination()`.
class BatchFailedError : public Error {
 public:
  BatchFailedError(Time batch_time, const std::string& message)
      : Error("Batch " + batch_time.toString() + " failed: " + message), batch_time_(batch_time) {}
  Time batchTime() const { return batch_time_; }

 private:
  Time batch_time_;
};

}  // namespace ember
