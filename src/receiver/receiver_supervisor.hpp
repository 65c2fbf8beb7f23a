#pragma once
/// Supervises one receiver: starts it, restarts it after failures (asynchronously, after a
/// delay), stops it. Thread-safe.

#include <ember/internal/thread_annotations.hpp>
#include <ember/receiver.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace ember::detail {

enum class ReceiverEvent { kStarted, kError, kStopped };

class ReceiverSupervisor {
 public:
  /// Told of starts, errors (reported or causing a restart) and stops, with a message.
  using EventHook = std::function<void(ReceiverEvent, const std::string& message)>;
  void setEventHook(EventHook hook);

  ReceiverSupervisor(std::shared_ptr<ReceiverBase> receiver, int stream_id, Duration restart_delay);
  ~ReceiverSupervisor();
  ReceiverSupervisor(const ReceiverSupervisor&) = delete;
  ReceiverSupervisor& operator=(const ReceiverSupervisor&) = delete;

  void start();
  /// Stops for good: no restart happens afterwards.
  void stop(const std::string& reason);
  /// `stop` on a thread of the supervisor's own (for `Receiver::stop` from receiver threads).
  void stopAsync(const std::string& reason);
  void restart(const std::string& message, std::optional<Duration> delay, std::exception_ptr error);
  void reportError(const std::string& message, std::exception_ptr error);

  bool isStarted() const;
  bool isStopped() const;
  int streamId() const { return stream_id_; }
  std::string name() const;
  ReceiverBase& receiver() { return *receiver_; }

 private:
  enum class State { kInitialized, kStarted, kStopped };
  struct RestartRequest {
    Duration delay;
    std::string why;
  };
  bool startReceiver();  // calls onStart; false (and logs) if it threw
  void stopReceiver(const std::string& reason);

  std::shared_ptr<ReceiverBase> receiver_;
  int stream_id_;
  Duration restart_delay_;
  void notify(ReceiverEvent event, const std::string& message);

  Mutex stop_mu_;  // serialises stop()
  /// Held while onStart or onStop runs, so they never overlap: a receiver thread started by
  /// onStart may ask for a restart before onStart has returned, and the restart's onStop
  /// must not run beside it (both touch the receiver's own thread handles).
  Mutex lifecycle_mu_;
  mutable Mutex mu_ EMBER_ACQUIRED_AFTER(stop_mu_);
  EventHook hook_ EMBER_GUARDED_BY(mu_);
  CondVar cv_;
  State state_ EMBER_GUARDED_BY(mu_) = State::kInitialized;
  bool stopped_for_good_ EMBER_GUARDED_BY(mu_) = false;
  bool restarting_ EMBER_GUARDED_BY(mu_) = false;
  /// While a restart is under way, a request from the run it started (`accept_again_`
  /// from just before `onStart`) is kept here and served by the same restart thread.
  bool accept_again_ EMBER_GUARDED_BY(mu_) = false;
  std::optional<RestartRequest> restart_again_ EMBER_GUARDED_BY(mu_);
  std::thread restarter_ EMBER_GUARDED_BY(mu_);
  std::thread stopper_ EMBER_GUARDED_BY(mu_);
};

}  // namespace ember::detail
